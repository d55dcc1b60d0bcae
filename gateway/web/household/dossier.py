"""Mijn dossier: what each organisation holds about me (and each child I may see),
fetched live by the same use-case as `GET /api/v1/me/dossier`
(`gateway.access.dossier.my_dossier`: one audited `client_access` exchange per person).

This module only turns the use-case's answer into words: per person (me first, then
each child), per organisation, per category, each record's fields with their labels
in the viewer's language. What the use-case left out (restricted data about someone
else) is not here to show; sources that could not answer are named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from aiohttp import web

from gateway.access.dossier import my_dossier
from gateway.api.me.dossier import dossier_ports, identities, request_meta
from gateway.appkeys import ORGANISATIONS, VOCABULARY
from gateway.web.household.session import page_session
from gateway.web.household.words import (
    field_label,
    moment,
    person_party,
    plain_value,
    references_text,
)
from gateway.web.i18n import Catalogue, language_of
from gateway.web.rendering import CATALOGUES, Labels, render

__all__ = ["dossier_page", "dossier_view"]


def _records(
    t: Catalogue, labels: Labels, records: Sequence[Mapping[str, Any]]
) -> list[list[tuple[str, str]]]:
    return [
        [(field_label(t, str(k)), plain_value(t, labels, v)) for k, v in record.items()]
        for record in records
    ]


def _basis(t: Catalogue, category: Mapping[str, Any]) -> dict[str, Any] | None:
    basis = category.get("legal_basis")
    if basis is None:
        return None
    references = references_text(basis["article"], category.get("statutory_reference"))
    return {"label": basis["label"][t.lang], "references": references}


def dossier_view(t: Catalogue, labels: Labels, body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The use-case's answer as the template shows it."""
    people = []
    for index, part in enumerate(body["people"]):
        organisations = [
            {
                "name": org["organisation"].get("name", org["organisation"]["id"]),
                "type": labels.org_type(org["organisation"].get("type", "")),
                "categories": [
                    {
                        "label": c["label"][t.lang],
                        "basis": _basis(t, c),
                        "records": _records(t, labels, c["records"]),
                    }
                    for c in org["categories"]
                ],
            }
            for org in part["organisations"]
        ]
        people.append(
            {
                "anchor": f"persoon-{index + 1}",
                "party": person_party(part["relation"], part.get("age")),
                "relation": part["relation"],
                "available": part["available"],
                "organisations": organisations,
                "unavailable": [o.get("name", o["id"]) for o in part["unavailable_sources"]],
            }
        )
    return people


async def dossier_page(request: web.Request) -> web.Response:
    page = await page_session(request)
    body = await my_dossier(
        dossier_ports(request.app),
        page.person,
        page.household_id,
        identities(request, page.session),
        request_meta(request),
    )
    t = request.app[CATALOGUES][language_of(request)]
    labels = Labels(t, request.app[VOCABULARY], request.app[ORGANISATIONS])
    return render(
        request,
        "dossier.html",
        {
            "people": dossier_view(t, labels, body),
            "generated_at": moment(t, labels, datetime.fromisoformat(body["generated_at"])),
        },
        session_token=page.token,
    )
