"""Values that travel through the exchange pipeline (frozen; no personal data in `repr`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from gateway.exchange.missing import MissingConsent
from policies import Decision

__all__ = [
    "AccessRecord",
    "ExchangeRequest",
    "ExchangeResult",
    "ItemResult",
    "Outcome",
    "SubjectInfo",
]

Outcome = Literal["returned", "denied", "source_error"]


@dataclass(frozen=True)
class ExchangeRequest:
    """A validated `POST /api/v1/exchanges` body."""

    bsn: str = field(repr=False)
    purpose: str
    categories: tuple[str, ...]
    sources: tuple[str, ...] | None
    case_reference: str | None = field(default=None, repr=False)
    justification: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SubjectInfo:
    """What the gateway knows of the subject: from the household registry, never from sources."""

    pseudonym: str
    household_id: str | None
    birth_date: date | None
    regiehouder_org_id: str | None


@dataclass(frozen=True)
class ItemResult:
    """The answer for one source x category, as the contract shapes it."""

    source: str
    category: str
    decision: Decision
    reason: str
    consent_ids: tuple[str, ...] = ()
    # The consent check's pseudonyms (internal: never in the answer, see `missing_consent`).
    missing_consent_from: tuple[str, ...] = ()
    missing_consent: tuple[MissingConsent, ...] = ()
    outcome: Outcome = "denied"
    records: list[dict[str, Any]] | None = field(default=None, repr=False)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "source": self.source,
            "category": self.category,
            "decision": "permit" if self.outcome != "denied" else "deny",
            "reason": self.reason,
            "rule_ids": list(self.decision.rule_ids),
            "legal_basis": self.decision.legal_basis,
            "statutory_reference": self.decision.statutory_reference,
            "explanation": {"nl": self.decision.explanation_nl, "en": self.decision.explanation_en},
        }
        if self.consent_ids:
            body["consent_ids"] = list(self.consent_ids)
        if self.missing_consent:
            # Who, in the household's terms; never a pseudonym (gateway.exchange.missing).
            body["missing_consent_from"] = [m.party for m in self.missing_consent]
            body["missing_consent"] = [m.to_json() for m in self.missing_consent]
        if self.records is not None:
            body["records"] = self.records
        if self.error is not None:
            body["error"] = self.error
        return body


@dataclass(frozen=True)
class AccessRecord:
    """What the audit log is told about one item; pseudonyms and codes only."""

    source: str
    category: str
    decision: Literal["permit", "deny"]
    reason: str
    rule_ids: tuple[str, ...]
    legal_basis: str | None
    consent_ids: tuple[str, ...]
    outcome: Outcome
    confidential: bool
    break_glass: bool


@dataclass(frozen=True)
class ExchangeResult:
    exchange_id: str
    policy_version: str
    items: tuple[ItemResult, ...]
    audit_seqs: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "exchange_id": self.exchange_id,
            "policy_version": self.policy_version,
            "results": [item.to_json() for item in self.items],
        }
