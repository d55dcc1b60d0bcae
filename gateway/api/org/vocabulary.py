"""Discovery: `GET /api/v1/vocabulary`, every value an organisation may send, with labels.

Purposes, categories, organisation types, organisations (and which of them are sources)
and legal bases are the shared begrippenkader: the policy register publishes them, so
every authenticated organisation sees them all. Roles are the exception: a caller sees
the roles *its own organisation* may assert (its type's, plus `regional_privacy_officer`
for a region's privacy office), and no other type's roles, which say how another
organisation is organised and which the caller can never use. Read from the
configuration in force at the moment of the request (a reload shows at once).

Role labels come from `config/roles.toml` (optional; a role without one shows its id).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec
from aiohttp import web

from gateway.api.describe import answer, problems
from gateway.api.org import schema
from gateway.appkeys import AUTHENTICATOR, EXCHANGE_DEPS, ORGANISATIONS, POLICIES, SETTINGS
from gateway.auth.organisations import Organisation
from gateway.errors import SettingsError
from gateway.http.bodies import json_response

__all__ = ["OPENAPI", "ROLE_LABELS", "load_role_labels", "setup"]

ROLE_LABELS: web.AppKey[Mapping[str, schema.Labels]] = web.AppKey("role_labels")


def load_role_labels(path: Path) -> dict[str, schema.Labels]:
    """`[roles.<id>]` tables with `nl` and `en`; a missing file means no labels."""
    if not path.exists():
        return {}
    where = f"config/{path.name}"
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(where, f"cannot be read: {type(exc).__name__}") from None
    if set(document) - {"roles"} or not isinstance(document.get("roles", {}), dict):
        raise SettingsError(where, "holds only [roles.<id>] tables")
    labels: dict[str, schema.Labels] = {}
    for role, table in document.get("roles", {}).items():
        if (
            not isinstance(table, dict)
            or set(table) != {"nl", "en"}
            or not all(isinstance(v, str) and v.strip() for v in table.values())
        ):
            raise SettingsError(f"{where}:{role}", "needs exactly `nl` and `en` texts")
        labels[role] = schema.Labels(nl=table["nl"], en=table["en"])
    return labels


def _labels(entry: Any) -> schema.Labels:
    return schema.Labels(nl=entry.nl, en=entry.en)


async def read_vocabulary(request: web.Request) -> web.Response:
    principal = await request.app[AUTHENTICATOR].authenticate_request(request)
    app = request.app
    policies = app[POLICIES]
    vocabulary = policies.policy_set.vocabulary
    role_labels = app[ROLE_LABELS]
    own = principal.organisation
    registry = app[ORGANISATIONS]
    organisations: list[Organisation] = [org for org in registry]

    def role(role_id: str) -> schema.VocabularyRole:
        return schema.VocabularyRole(
            id=role_id, label=role_labels.get(role_id, schema.Labels(nl=role_id, en=role_id))
        )

    own_roles = [role(r) for r in sorted(own.roles)]
    sources = set(app[EXCHANGE_DEPS].adapters)
    body = schema.VocabularyAnswer(
        policy_version=policies.version,
        organisation=own.id,
        organisation_type=own.type,
        roles=own_roles,
        purposes=[
            schema.VocabularyPurpose(p.id, _labels(p), p.break_glass, p.aggregates_only)
            for p in sorted(vocabulary.purposes.values(), key=lambda p: p.id)
        ],
        categories=[
            schema.VocabularyCategory(c.id, _labels(c), c.sensitivity)
            for c in sorted(vocabulary.categories.values(), key=lambda c: c.id)
        ],
        organisation_types=[
            schema.VocabularyOrganisationType(
                t.id, _labels(t), own_roles if t.id == own.type else None
            )
            for t in sorted(vocabulary.organisation_types.values(), key=lambda t: t.id)
        ],
        organisations=[
            schema.VocabularyOrganisation(org.id, org.type, org.name, org.region, org.id in sources)
            for org in sorted(organisations, key=lambda o: o.id)
        ],
        legal_bases=[
            schema.VocabularyLegalBasis(b.id, _labels(b), b.article)
            for b in sorted(vocabulary.legal_bases.values(), key=lambda b: b.id)
        ],
    )
    response = json_response(msgspec.to_builtins(body))
    response.headers["Cache-Control"] = "private, no-store"
    return response


def setup(app: web.Application) -> None:
    app[ROLE_LABELS] = load_role_labels(app[SETTINGS].config_dir / "roles.toml")
    app.router.add_get("/api/v1/vocabulary", read_vocabulary)


OPENAPI: dict[str, dict[str, Any]] = {
    "/api/v1/vocabulary": {
        "get": {
            "operationId": "readVocabulary",
            "summary": "Every purpose, category, organisation type, organisation and legal "
            "basis, with Dutch and English labels, and the roles the caller may assert",
            "description": "Another organisation type's roles are not shown. The same "
            "values are the enums of this document; unknown_purpose, unknown_category, "
            "unknown_source and role_not_allowed answers point here.",
            "tags": ["vocabulary"],
            "responses": {
                "200": answer(schema.VocabularyAnswer, "The vocabulary", schema.EXAMPLE_VOCABULARY),
                **problems(401, 503),
            },
        }
    }
}
