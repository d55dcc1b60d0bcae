"""Mijn dossier: what each organisation holds about a household member (and each child
they may see), fetched live through the exchange pipeline.

Each visible person (`gateway.access.visible`) is one `run_exchange` with purpose
`client_access` by the portal requester type `household` on the `household_portal`
channel, so every view is the pipeline's own audit entries (`household.read`,
attributed to the member's pseudonym) written before anything is answered, and the
policy decides every item (config/policies/household_portal.toml; restricted data only
about oneself). A child is never asked for restricted categories at all. Sources are
asked by BSN: the member's own from the login (sealed in the session); a child's from
the custody register's `kinderen` of that BSN (`RegisterIdentities`); where no BSN is
known (register down, a session without one) that person's part says
`available: false` and nothing is fetched. Answers are grouped by organisation and category with the
vocabulary's labels (nl/en).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from consent import AgeRules, CustodyRegisterUnavailableError
from gateway.access.visible import CustodyView, PortalRules, Visible, shows_to, visible_subjects
from gateway.exchange.model import ExchangeRequest, ItemResult
from gateway.exchange.pipeline import ExchangeDeps, HouseholdRequester, RequestMeta, run_exchange
from policies import Vocabulary

__all__ = [
    "CLIENT_ACCESS",
    "ChildRegister",
    "DossierPorts",
    "Identities",
    "NoChildRegister",
    "RegisterIdentities",
    "SessionIdentities",
    "my_dossier",
]

CLIENT_ACCESS = "client_access"


class Identities(Protocol):
    """The BSN the sources know a visible person by, or None where it is not known."""

    async def bsn_of(self, person: str) -> str | None: ...


class SessionIdentities:
    """The member's own BSN from their session (checked against their pseudonym); a
    child's BSN is not known to the portal, so a child's sources are not asked."""

    def __init__(self, person: str, bsn: str | None, pseudonym: Callable[[str], str]) -> None:
        self._person = person
        self._bsn = bsn if bsn is not None and pseudonym(bsn) == person else None

    async def bsn_of(self, person: str) -> str | None:
        return self._bsn if person == self._person else None


@runtime_checkable
class ChildRegister(Protocol):
    async def children(self, bsn: str) -> tuple[str, ...]:
        """The BSNs of `bsn`'s children as the register knows them; raises
        `CustodyRegisterUnavailableError` if it cannot be asked."""
        ...


class NoChildRegister:
    """A custody source that cannot name children: no child's sources are asked."""

    async def children(self, bsn: str) -> tuple[str, ...]:
        return ()


class RegisterIdentities:
    """The member's own BSN from the session; a child's from the register's `kinderen` of
    that BSN, matched by pseudonym (custody itself is decided apart, by `visible`). The
    register is asked at most once; if it cannot be, no child's sources are asked."""

    def __init__(
        self,
        person: str,
        bsn: str | None,
        pseudonym: Callable[[str], str],
        register: ChildRegister,
    ) -> None:
        self._own = SessionIdentities(person, bsn, pseudonym)
        self._person = person
        self._bsn = bsn
        self._pseudonym = pseudonym
        self._register = register
        self._children: dict[str, str] | None = None

    async def bsn_of(self, person: str) -> str | None:
        if person == self._person:
            return await self._own.bsn_of(person)
        own = await self._own.bsn_of(self._person)
        if own is None:
            return None
        if self._children is None:
            try:
                found = await self._register.children(own)
            except CustodyRegisterUnavailableError:
                found = ()
            self._children = {self._pseudonym(child): child for child in found}
        return self._children.get(person)


@dataclass(frozen=True, slots=True)
class DossierPorts:
    exchange: ExchangeDeps
    custody: CustodyView
    ages: AgeRules
    portal: PortalRules
    vocabulary: Vocabulary
    organisations: Mapping[str, Mapping[str, str]]  # id -> public view (id, type, name, region)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)


def _label(nl: str, en: str) -> dict[str, str]:
    return {"nl": nl, "en": en}


def _categories_for(vocabulary: Vocabulary, visible: Visible) -> tuple[str, ...]:
    return tuple(
        sorted(
            cid
            for cid, category in vocabulary.categories.items()
            if shows_to(category.sensitivity, visible.relation)
        )
    )


def _item_json(vocabulary: Vocabulary, item: ItemResult) -> dict[str, Any]:
    category = vocabulary.categories[item.category]
    basis = vocabulary.legal_bases.get(item.decision.legal_basis or "")
    return {
        "category": item.category,
        "label": _label(category.nl, category.en),
        "records": item.records or [],
        "legal_basis": None
        if basis is None
        else {"code": basis.id, "label": _label(basis.nl, basis.en), "article": basis.article},
        "statutory_reference": item.decision.statutory_reference,
    }


def _person_json(
    ports: DossierPorts, visible: Visible, exchange_id: str | None, items: Sequence[ItemResult]
) -> dict[str, Any]:
    by_org: dict[str, dict[str, Any]] = {}
    unavailable: set[str] = set()
    for item in items:
        category = ports.vocabulary.categories.get(item.category)
        if category is None or not shows_to(category.sensitivity, visible.relation):
            continue  # never restricted data about someone else (defence in depth)
        if item.outcome == "source_error":
            unavailable.add(item.source)
        elif item.outcome == "returned" and item.records:
            org = by_org.setdefault(
                item.source,
                {"organisation": dict(ports.organisations.get(item.source, {"id": item.source}))},
            )
            org.setdefault("categories", []).append(_item_json(ports.vocabulary, item))
    return {
        "person": visible.person,
        "relation": visible.relation,
        "available": exchange_id is not None,
        "exchange_id": exchange_id,
        "organisations": [by_org[k] for k in sorted(by_org)],
        "unavailable_sources": [
            dict(ports.organisations.get(s, {"id": s})) for s in sorted(unavailable)
        ],
        "age": visible.age,
    }


async def my_dossier(
    ports: DossierPorts,
    person: str,
    household_id: str | None,
    identities: Identities,
    meta: RequestMeta,
) -> dict[str, Any]:
    """The member's dossier and their visible children's, one live exchange each
    (`AuditUnavailable` if the log cannot take the entries: nothing is answered)."""
    now = ports.clock()
    requester = HouseholdRequester(person, household_id)
    people: list[dict[str, Any]] = []
    for visible in await visible_subjects(ports.custody, ports.ages, ports.portal, person, now):
        bsn = await identities.bsn_of(visible.person)
        if bsn is None:
            people.append(_person_json(ports, visible, None, ()))
            continue
        request = ExchangeRequest(
            bsn=bsn,
            purpose=CLIENT_ACCESS,
            categories=_categories_for(ports.vocabulary, visible),
            sources=None,
        )
        result = await run_exchange(request, requester, meta, ports.exchange)
        people.append(_person_json(ports, visible, result.exchange_id, result.items))
    return {"person": person, "generated_at": now.isoformat(), "people": people}
