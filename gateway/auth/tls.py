"""TLS served by the gateway itself, and mutual TLS pinned to organisations.

Usually a TLS-terminating proxy sits in front (`GATEWAY_BEHIND_TLS`). When the
gateway serves TLS itself (`GATEWAY_TLS_CERT_FILE` / `_KEY_FILE`) it can also ask
for client certificates (`GATEWAY_TLS_CLIENT_CA_FILE`): the handshake then only
succeeds with a certificate that chains to that CA bundle, and every
authenticated request must come over a connection whose certificate is one its
token's issuer pinned in `config/organisations.toml` (`client_cert_sha256`, the
SHA-256 of the DER certificate). A stolen token is then useless without the
organisation's certificate and key, and one organisation's certificate cannot
carry another organisation's tokens.
"""

from __future__ import annotations

import hashlib
import ssl

from aiohttp import web

from gateway.errors import SettingsError
from gateway.settings import Settings

__all__ = ["certificate_sha256", "client_certificate_sha256", "server_context"]


def server_context(settings: Settings) -> ssl.SSLContext | None:
    """The listening socket's TLS context, or None when a proxy terminates TLS."""
    if settings.tls_cert_file is None or settings.tls_key_file is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(settings.tls_cert_file, settings.tls_key_file)
    except (ssl.SSLError, OSError) as exc:
        raise SettingsError("GATEWAY_TLS_CERT_FILE", f"cannot be loaded: {exc}") from None
    if settings.tls_client_ca_file is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        try:
            context.load_verify_locations(cafile=settings.tls_client_ca_file)
        except (ssl.SSLError, OSError) as exc:
            raise SettingsError("GATEWAY_TLS_CLIENT_CA_FILE", f"cannot be loaded: {exc}") from None
    return context


def certificate_sha256(der: bytes) -> str:
    """The fingerprint organisations register: SHA-256 of the DER certificate, hex."""
    return hashlib.sha256(der).hexdigest()


def client_certificate_sha256(request: web.Request) -> str | None:
    """The fingerprint of the client certificate on this request's connection, if any."""
    transport = request.transport
    ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    return certificate_sha256(der) if der else None
