"""The demo's OpenID provider: a small real OP for the synthetic people, on Authlib's
server side (`AuthorizationServer`, `AuthorizationCodeGrant` with the PKCE
`CodeChallenge` extension and the OpenID Connect `OpenIDCode` extension).

Why Authlib and not pyop: the gateway already relies on Authlib for the relying party
(one JOSE stack, joserfc, on both sides), and its grants are framework-neutral, so this
module only adapts aiohttp requests to them. It serves discovery, a JWKS with one ES256
key (generated at set-up under `<data dir>/demo/oidc`, never committed), an
authorization endpoint whose page says plainly "DEMO — dit is niet DigiD" and lets you
pick a synthetic person (autoescaped Jinja2, no script, a plain form), and a token
endpoint that checks the client secret (HTTP Basic) and the PKCE verifier (S256 only).
Codes are single-use and live 60 seconds; all state is in this process's memory (a
demo runs one). Started only by `gateway demo` and `gateway demo-oidc`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from aiohttp import web
from authlib.oauth2 import AuthorizationServer, OAuth2Request
from authlib.oauth2.rfc6749 import (
    ClientMixin,
    InvalidRequestError,
    OAuth2Error,
    OAuth2Payload,
    grants,
)
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode
from joserfc.jwk import ECKey

from adapters.reference.synthetic import Population
from gateway.auth.officers import CLAIM_ID, CLAIM_ORGANISATION, CLAIM_ROLE, Officer
from gateway.errors import GatewayError
from gateway.http.bodies import read_form
from gateway.storage.files import private_dir

__all__ = [
    "DEMO_CLIENT_ID",
    "DemoClient",
    "DemoPerson",
    "client_for",
    "create_provider_app",
    "demo_officers",
    "demo_people",
    "ensure_provider_files",
    "provider_for_population",
]

DEMO_CLIENT_ID = "jeugd-gateway-portal"
CODE_LIFETIME = 60.0
ID_TOKEN_LIFETIME = 300
_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class DemoPerson:
    key: str  # opaque id in the form (not the BSN)
    bsn: str = field(repr=False)  # "" for a privacy officer (no BSN claim at all)
    name: str
    description: str  # e.g. "ouder, 41 jaar"
    # Further claims of the ID token: a privacy officer's `fg_id`, `fg_organisation`,
    # `fg_role` (`gateway.auth.officers`), which the gateway checks against its config.
    claims: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DemoClient(ClientMixin):  # type: ignore[misc]  # Authlib ships no types
    client_id: str
    secret_sha256: str
    redirect_uri: str
    # Further registered redirect URIs (the officer console's callback).
    also_redirect_uris: tuple[str, ...] = ()

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_allowed_scope(self, scope: str) -> str:
        return "openid" if "openid" in (scope or "").split() else ""

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri == self.redirect_uri or redirect_uri in self.also_redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        digest = hashlib.sha256(client_secret.encode()).hexdigest()
        return hmac.compare_digest(digest, self.secret_sha256)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "client_secret_basic"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class _Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    person: DemoPerson
    nonce: str | None
    code_challenge: str
    code_challenge_method: str
    auth_time: int
    expires_at: float

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, values: Sequence[tuple[str, str]]) -> None:
        self._datalist: dict[str, list[str]] = {}
        for key, value in values:
            self._datalist.setdefault(key, []).append(value)
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._datalist


class _Request(OAuth2Request):  # type: ignore[misc]
    def __init__(
        self,
        request: web.Request,
        query: Sequence[tuple[str, str]],
        form: Sequence[tuple[str, str]],
    ) -> None:
        super().__init__(method=request.method, uri=str(request.url), headers=request.headers)
        self._args = dict(query)
        self._form = dict(form)
        self.payload = _Payload([*query, *form])

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _S256(CodeChallenge):  # type: ignore[misc]
    """PKCE required of every client, S256 only (never `plain`)."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012  # Authlib's attribute

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        if not grant.request.payload.data.get("code_challenge"):
            raise InvalidRequestError("PKCE with S256 is required")
        super().validate_code_challenge(grant, redirect_uri)


class _Server(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, clients: Mapping[str, DemoClient]) -> None:
        super().__init__(scopes_supported=["openid"])
        self._clients = clients

    def query_client(self, client_id: str) -> DemoClient | None:
        return self._clients.get(client_id)

    def save_token(self, token: Mapping[str, Any], request: Any) -> None:
        return None  # access tokens are not used for anything (no userinfo endpoint)

    def create_oauth2_request(self, request: Any) -> Any:
        return request  # already a `_Request`, built from the aiohttp request

    def handle_response(
        self, status: int, body: Any, headers: Sequence[tuple[str, str]]
    ) -> web.Response:
        location = dict(headers).get("Location")
        if location is not None:
            return web.Response(status=302, headers={"Location": location})
        text = body if isinstance(body, str) else json.dumps(body)
        response = web.Response(status=status, text=text, content_type="application/json")
        for name, value in headers:
            if name.lower() not in ("content-type", "location"):
                response.headers[name] = value
        return response

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None


def create_provider_app(
    issuer: str,
    clients: Sequence[DemoClient],
    people: Sequence[DemoPerson],
    key: ECKey,
    *,
    bsn_claim: str = "bsn",
) -> web.Application:
    """The provider as an aiohttp app, served at `issuer` (http://127.0.0.1:PORT)."""
    by_key = {person.key: person for person in people}
    codes: dict[str, _Code] = {}
    kid = key.thumbprint()

    class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic"]  # noqa: RUF012  # Authlib's

        def save_authorization_code(self, code: str, request: Any) -> None:
            data = request.payload.data
            _sweep(codes)
            codes[code] = _Code(
                code=code,
                client_id=request.client.get_client_id(),
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope,
                person=request.user,
                nonce=data.get("nonce"),
                code_challenge=data.get("code_challenge", ""),
                code_challenge_method=data.get("code_challenge_method", ""),
                auth_time=int(time.time()),
                expires_at=time.monotonic() + CODE_LIFETIME,
            )

        def query_authorization_code(self, code: str, client: DemoClient) -> _Code | None:
            item = codes.get(code)
            if item is None or item.client_id != client.get_client_id():
                return None
            if item.expires_at <= time.monotonic():
                codes.pop(code, None)
                return None
            return item

        def delete_authorization_code(self, authorization_code: _Code) -> None:
            codes.pop(authorization_code.code, None)  # single use

        def authenticate_user(self, authorization_code: _Code) -> DemoPerson:
            return authorization_code.person

    class IdToken(OpenIDCode):  # type: ignore[misc]
        def resolve_client_private_key(self, client: DemoClient) -> ECKey:
            return key

        def get_client_algorithm(self, client: DemoClient) -> str:
            return "ES256"

        def get_encode_header(self, client: DemoClient) -> dict[str, str]:
            return {"alg": "ES256", "kid": kid, "typ": "JWT"}

        def get_client_claims(self, client: DemoClient) -> dict[str, Any]:
            now = int(time.time())
            return {"iss": issuer, "aud": [client.get_client_id()], "exp": now + ID_TOKEN_LIFETIME}

        def exists_nonce(self, nonce: str, request: Any) -> bool:
            return any(item.nonce == nonce for item in codes.values())

        def generate_user_info(self, user: DemoPerson, scope: str) -> dict[str, str]:
            sub = hashlib.sha256(f"{issuer}|{user.key}".encode()).hexdigest()[:32]
            claims = {"sub": sub, "name": user.name, **dict(user.claims)}
            if user.bsn:
                claims[bsn_claim] = user.bsn
            return claims

    server = _Server({client.client_id: client for client in clients})
    server.register_grant(CodeGrant, [_S256(required=True), IdToken(require_nonce=True)])
    server.register_token_generator(
        "default", BearerTokenGenerator(lambda *a, **k: secrets.token_urlsafe(32))
    )
    templates = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    form_targets = " ".join(
        sorted({_origin(u) for c in clients for u in (c.redirect_uri, *c.also_redirect_uris)})
    )

    def page(status: int, **context: Any) -> web.Response:
        html = templates.get_template("oidc_authorize.html").render(**context)
        response = web.Response(status=status, text=html, content_type="text/html")
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'self'; form-action 'self' "
            f"{form_targets}; frame-ancestors 'none'; base-uri 'none'"
        )
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    async def authorize(request: web.Request) -> web.StreamResponse:
        query = list(request.query.items())
        form = await _form(request) if request.method == "POST" else []
        oauth_fields = [(k, v) for k, v in form if k not in ("person", "action")]
        oauth = _Request(request, query, oauth_fields)
        try:
            grant = server.get_consent_grant(oauth)
        except OAuth2Error as error:
            if error.redirect_uri:
                return server.handle_error_response(oauth, error)  # type: ignore[no-any-return]
            return page(400, error=error.error, people=[], fields=[])
        if request.method == "GET":
            fields = [(k, v) for k, v in query if k != "person"]
            return page(200, error=None, people=people, fields=fields)
        chosen = dict(form)
        person = by_key.get(str(chosen.get("person", "")))
        user = person if chosen.get("action") == "login" and person is not None else None
        return server.create_authorization_response(oauth, grant_user=user, grant=grant)  # type: ignore[no-any-return]

    async def token(request: web.Request) -> web.StreamResponse:
        form = await _form(request)
        return server.create_token_response(_Request(request, [], form))  # type: ignore[no-any-return]

    async def discovery(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": issuer,
                "authorization_endpoint": f"{issuer}/authorize",
                "token_endpoint": f"{issuer}/token",
                "jwks_uri": f"{issuer}/jwks.json",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["ES256"],
                "scopes_supported": ["openid"],
                "claims_supported": ["sub", "name", bsn_claim],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    async def jwks(request: web.Request) -> web.Response:
        public = key.as_dict(private=False)
        return web.json_response({"keys": [{**public, "kid": kid, "use": "sig", "alg": "ES256"}]})

    async def styles(request: web.Request) -> web.FileResponse:
        return web.FileResponse(_TEMPLATES / "oidc_provider.css")

    app = web.Application(client_max_size=64 * 1024)
    app.router.add_get("/.well-known/openid-configuration", discovery)
    app.router.add_get("/jwks.json", jwks)
    app.router.add_route("GET", "/authorize", authorize)
    app.router.add_route("POST", "/authorize", authorize)
    app.router.add_post("/token", token)
    app.router.add_get("/static/provider.css", styles)
    return app


async def _form(request: web.Request) -> list[tuple[str, str]]:
    try:
        return await read_form(request, limit=16 * 1024, within_seconds=10.0)
    except GatewayError as error:
        raise web.HTTPBadRequest(text=error.code) from None


def _sweep(codes: dict[str, _Code]) -> None:
    now = time.monotonic()
    for code in [c for c, item in codes.items() if item.expires_at <= now]:
        codes.pop(code, None)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def ensure_provider_files(data_dir: Path) -> tuple[ECKey, Path]:
    """The provider's ES256 key and the client secret file under `<data dir>/demo/oidc`,
    generated on first use (files 0600, folder 0700)."""
    folder = private_dir(data_dir / "demo" / "oidc")
    key_file = folder / "provider_key.json"
    secret_file = folder / "client_secret"
    if not key_file.exists():
        generated = ECKey.generate_key("P-256", private=True)
        key_file.touch(mode=0o600)
        key_file.write_text(json.dumps(generated.as_dict(private=True)))
    if not secret_file.exists():
        secret_file.touch(mode=0o600)
        secret_file.write_text(secrets.token_urlsafe(32) + "\n")
    key = ECKey.import_key(json.loads(key_file.read_text()))
    return key, secret_file


def client_for(client_id: str, secret: str, redirect_uri: str, *also: str) -> DemoClient:
    """The demo's client; `also`: further redirect URIs (the officer console's callback)."""
    digest = hashlib.sha256(secret.encode()).hexdigest()
    return DemoClient(client_id, digest, redirect_uri, tuple(also))


_OFFICER_ROLES_NL = {
    "privacy_officer": "functionaris gegevensbescherming",
    "regional_privacy_officer": "regionale functionaris gegevensbescherming",
}


def demo_officers(officers: Iterable[Officer], names: Mapping[str, str]) -> list[DemoPerson]:
    """The configured privacy officers as the picker lists them (after the households):
    no BSN, their officer claims. `names`: organisation id -> name."""
    people = []
    for number, officer in enumerate(officers, start=1):
        org_name = names.get(officer.organisation, officer.organisation)
        people.append(
            DemoPerson(
                key=f"fg{number}",
                bsn="",
                name=f"FG {org_name}",
                description=f"{_OFFICER_ROLES_NL.get(officer.role, officer.role)}, {officer.id}",
                claims=(
                    (CLAIM_ID, officer.id),
                    (CLAIM_ORGANISATION, officer.organisation),
                    (CLAIM_ROLE, officer.role),
                ),
            )
        )
    return people


_ROLES_NL = {"parent": "ouder", "child": "kind", "adult": "volwassene"}


def demo_people(population: Population) -> list[DemoPerson]:
    """Every synthetic household member, as the picker lists them (household by household)."""
    people: list[DemoPerson] = []
    for household in population.households:
        for bsn in household.members:
            person = population.person(bsn)
            if person is None:
                continue
            role = _ROLES_NL.get(person.role, person.role)
            people.append(
                DemoPerson(
                    key=f"p{len(people) + 1}",
                    bsn=person.bsn,
                    name=person.name,
                    description=f"{role}, {population.age(person)} jaar",
                )
            )
    return people


def provider_for_population(
    issuer: str,
    redirect_uri: str,
    population: Population,
    data_dir: Path,
    *,
    officers: Sequence[DemoPerson] = (),
    officer_redirect_uri: str | None = None,
) -> web.Application:
    """The demo's provider for `population` (and the privacy `officers`, whose login
    comes back to `officer_redirect_uri`), its key and client secret under `data_dir`."""
    key, secret_file = ensure_provider_files(data_dir)
    also = (officer_redirect_uri,) if officer_redirect_uri else ()
    client = client_for(DEMO_CLIENT_ID, secret_file.read_text().strip(), redirect_uri, *also)
    return create_provider_app(issuer, [client], [*demo_people(population), *officers], key)
