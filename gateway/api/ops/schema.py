"""The bodies every route shares (problems) and the operations routes' own, declared once."""

from __future__ import annotations

from typing import Annotated

import msgspec

from gateway.http.vocabulary import ErrorCode

__all__ = ["Jwk", "Jwks", "Problem", "Status"]


class Problem(msgspec.Struct, omit_defaults=True):
    """RFC 9457 problem details with a stable machine-readable code."""

    type: Annotated[str, msgspec.Meta(extra_json_schema={"format": "uri"})]
    title: str
    status: int
    code: ErrorCode
    detail: str | None = None
    request_id: str | None = None
    valid_values: Annotated[
        list[str] | None,
        msgspec.Meta(
            description="unknown_purpose, unknown_category, unknown_source: the valid values"
        ),
    ] = None
    valid_roles: Annotated[
        list[str] | None,
        msgspec.Meta(description="role_not_allowed: the roles the token's organisation may assert"),
    ] = None
    vocabulary_url: Annotated[
        str | None,
        msgspec.Meta(description="Where every valid value is listed (/api/v1/vocabulary)"),
    ] = None


class Status(msgspec.Struct, omit_defaults=True):
    status: str
    schema: Annotated[
        list[str] | None, msgspec.Meta(description="Applied migrations (/readyz)")
    ] = None


class Jwk(msgspec.Struct, omit_defaults=True):
    """A public Ed25519 key (RFC 8037); `kid` is its RFC 7638 thumbprint."""

    kty: str
    crv: str
    x: str
    kid: str
    alg: str | None = None
    use: str | None = None


class Jwks(msgspec.Struct, omit_defaults=True):
    """A JWK Set (RFC 7517), current key first."""

    keys: list[Jwk]


EXAMPLE_JWKS = Jwks(
    keys=[
        Jwk(
            kty="OKP",
            crv="Ed25519",
            x="11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
            kid="kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
            alg="EdDSA",
            use="sig",
        )
    ]
)
