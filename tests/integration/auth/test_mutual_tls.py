"""Mutual TLS pinned to organisations, over real TLS connections to the real app.

The gateway serves TLS itself and asks for client certificates that chain to a
test CA. wijkteam-utrecht pins one certificate; Veilig Thuis pins none. A token
is accepted only over a connection whose certificate its issuer pinned; a refusal
writes nothing (the token id is not used up).
"""

from __future__ import annotations

import shutil
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path

import aiohttp
import jwt
import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from support import CONFIG_DIR, GatewayFixture, free_port, make_gateway_fixture, migrate

from gateway.app import create_app
from gateway.auth.tls import certificate_sha256, server_context
from gateway.errors import SettingsError
from gateway.settings import Settings

WIJKTEAM = "wijkteam-utrecht"
VEILIG_THUIS = "veilig-thuis-utrecht"


@dataclass
class Issued:
    cert: Path
    key: Path
    der: bytes


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _issue(
    folder: Path,
    stem: str,
    subject: str,
    *,
    ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
    is_ca: bool = False,
    server: bool = False,
) -> tuple[Issued, x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A certificate signed by `ca` (self-signed when None), written as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    issuer_cert, issuer_key = ca if ca is not None else (None, key)
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_cert.subject if issuer_cert is not None else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]),
            critical=False,
        )
    cert = builder.sign(issuer_key, hashes.SHA256())
    cert_path, key_path = folder / f"{stem}.pem", folder / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Issued(cert_path, key_path, cert.public_bytes(serialization.Encoding.DER)), cert, key


@dataclass
class Pki:
    ca: Issued
    server: Issued
    wijkteam: Issued
    veilig_thuis: Issued
    stranger: Issued  # self-signed: not under the client CA


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    folder = tmp_path / "pki"
    folder.mkdir()
    ca, ca_cert, ca_key = _issue(folder, "ca", "Test CA", ca=None, is_ca=True)
    server, _, _ = _issue(folder, "server", "127.0.0.1", ca=(ca_cert, ca_key), server=True)
    wijkteam, _, _ = _issue(folder, "wijkteam", "wijkteam client", ca=(ca_cert, ca_key))
    vt, _, _ = _issue(folder, "vt", "veilig thuis client", ca=(ca_cert, ca_key))
    stranger, _, _ = _issue(folder, "stranger", "stranger", ca=None)
    return Pki(ca, server, wijkteam, vt, stranger)


def _config_pinning(tmp_path: Path, org_id: str, der: bytes) -> Path:
    """The repository's config with `client_cert_sha256` pinned for one organisation."""
    config = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, config)
    organisations = config / "organisations.toml"
    anchor = f'id = "{org_id}"\n'
    text = organisations.read_text()
    assert anchor in text
    organisations.write_text(
        text.replace(anchor, f'{anchor}client_cert_sha256 = ["{certificate_sha256(der)}"]\n', 1)
    )
    return config


@dataclass
class TlsGateway:
    fixture: GatewayFixture
    url: str
    pki: Pki

    def session(self, client: Issued | None) -> aiohttp.ClientSession:
        context = ssl.create_default_context(cafile=str(self.pki.ca.cert))
        if client is not None:
            context.load_cert_chain(client.cert, client.key)
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context))


@pytest.fixture
async def tls_gateway(tmp_path: Path, database_url: str, pki: Pki) -> AsyncIterator[TlsGateway]:
    await migrate(database_url)
    config = _config_pinning(tmp_path, WIJKTEAM, pki.wijkteam.der)
    fixture = make_gateway_fixture(
        tmp_path / "data",
        database_url,
        GATEWAY_CONFIG_DIR=str(config),
        GATEWAY_TLS_CERT_FILE=str(pki.server.cert),
        GATEWAY_TLS_KEY_FILE=str(pki.server.key),
        GATEWAY_TLS_CLIENT_CA_FILE=str(pki.ca.cert),
    )
    runner = web.AppRunner(create_app(fixture.settings))
    await runner.setup()
    port = free_port()
    await web.TCPSite(
        runner, "127.0.0.1", port, ssl_context=server_context(fixture.settings)
    ).start()
    try:
        yield TlsGateway(fixture, f"https://127.0.0.1:{port}/api/v1/audit/entries", pki)
    finally:
        await runner.cleanup()


async def _get(gateway: TlsGateway, client: Issued | None, token: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    async with (
        gateway.session(client) as session,
        session.get(gateway.url, headers={"Authorization": f"Bearer {token}"}) as response,
    ):
        return response.status, await response.json(content_type=None)


async def test_a_pinned_certificate_carries_its_own_organisations_token(
    tls_gateway: TlsGateway,
) -> None:
    token = tls_gateway.fixture.token(WIJKTEAM, "privacy_officer")
    status, body = await _get(tls_gateway, tls_gateway.pki.wijkteam, token)
    assert status == 200, body
    assert "entries" in body


async def test_another_organisations_certificate_cannot_carry_the_token(
    tls_gateway: TlsGateway,
) -> None:
    """Chains to the CA, but wijkteam did not pin it: refused, and nothing written,
    so the same token still works over the right connection."""
    token = tls_gateway.fixture.token(WIJKTEAM, "privacy_officer")
    status, body = await _get(tls_gateway, tls_gateway.pki.veilig_thuis, token)
    assert status == 401
    assert body["code"] == "client_certificate_mismatch"
    status, _ = await _get(tls_gateway, tls_gateway.pki.wijkteam, token)
    assert status == 200


async def test_a_pinned_certificate_cannot_carry_another_organisations_token(
    tls_gateway: TlsGateway,
) -> None:
    token = tls_gateway.fixture.token(VEILIG_THUIS, "privacy_officer")
    status, body = await _get(tls_gateway, tls_gateway.pki.wijkteam, token)
    assert status == 401
    assert body["code"] == "client_certificate_mismatch"


async def test_the_token_is_still_checked_first(tls_gateway: TlsGateway) -> None:
    """The right certificate does not make a forged token good."""
    token = tls_gateway.fixture.token(WIJKTEAM, "privacy_officer")
    header, payload, _signature = token.split(".")
    forged = f"{header}.{payload}.{jwt.utils.base64url_encode(b'x' * 64).decode()}"
    status, body = await _get(tls_gateway, tls_gateway.pki.wijkteam, forged)
    assert status == 401
    assert body["code"] == "token_invalid"


@pytest.mark.parametrize("client", ["none", "stranger"])
async def test_without_a_certificate_under_the_ca_there_is_no_connection(
    tls_gateway: TlsGateway, client: str
) -> None:
    token = tls_gateway.fixture.token(WIJKTEAM, "privacy_officer")
    issued = None if client == "none" else tls_gateway.pki.stranger
    with pytest.raises((aiohttp.ClientError, ssl.SSLError, ConnectionError)):
        await _get(tls_gateway, issued, token)


def test_tls_settings_are_checked_together(tmp_path: Path, pki: Pki) -> None:
    base = {"GATEWAY_DATA_DIR": str(tmp_path)}
    with pytest.raises(SettingsError, match="GATEWAY_TLS_CERT_FILE"):
        Settings.load({**base, "GATEWAY_TLS_CERT_FILE": str(pki.server.cert)}, tmp_path)
    with pytest.raises(SettingsError, match="GATEWAY_TLS_CLIENT_CA_FILE"):
        Settings.load({**base, "GATEWAY_TLS_CLIENT_CA_FILE": str(pki.ca.cert)}, tmp_path)
    with pytest.raises(SettingsError, match="no such file"):
        Settings.load({**base, "GATEWAY_TLS_KEY_FILE": str(tmp_path / "missing.key")}, tmp_path)
    served = Settings.load(
        {
            **base,
            "GATEWAY_TLS_CERT_FILE": str(pki.server.cert),
            "GATEWAY_TLS_KEY_FILE": str(pki.server.key),
        },
        tmp_path,
    )
    assert served.https and not served.mutual_tls
    assert served.base_url.startswith("https://")
    context = server_context(served)
    assert context is not None and context.verify_mode == ssl.CERT_NONE
    # A key that does not belong to the certificate stops start-up with a clear message.
    mismatched = Settings.load(
        {
            **base,
            "GATEWAY_TLS_CERT_FILE": str(pki.server.cert),
            "GATEWAY_TLS_KEY_FILE": str(pki.wijkteam.key),
        },
        tmp_path,
    )
    with pytest.raises(SettingsError, match="cannot be loaded"):
        server_context(mismatched)


def test_pins_are_validated(tmp_path: Path) -> None:
    from gateway.auth.organisations import OrganisationRegistry

    config = tmp_path / "organisations.toml"
    config.write_text(
        '[[organisation]]\nid = "x"\ntype = "wijkteam"\nname = "X"\nregion = "r"\n'
        'client_cert_sha256 = ["not-a-fingerprint"]\n'
    )
    with pytest.raises(SettingsError, match="client_cert_sha256"):
        OrganisationRegistry.load(config, data_dir=tmp_path, require_keys=False)
    pin = "AB:" * 31 + "AB"
    config.write_text(config.read_text().replace('"not-a-fingerprint"', f'"{pin}"'))
    (org,) = list(OrganisationRegistry.load(config, data_dir=tmp_path, require_keys=False))
    assert org.client_cert_sha256 == frozenset({"ab" * 32})
