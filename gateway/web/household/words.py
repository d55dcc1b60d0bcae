"""Plain words for what the portal's pages show: who a person is to the viewer, a
record's field names and values, and moments in Dutch time (Europe/Amsterdam)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from gateway.web.i18n import Catalogue
from gateway.web.rendering import Labels

__all__ = [
    "DUTCH_TIME",
    "field_label",
    "moment",
    "person_party",
    "plain_value",
    "references_text",
]

DUTCH_TIME = ZoneInfo("Europe/Amsterdam")


def person_party(relation: str, age: int | None) -> tuple[str, dict[str, Any]]:
    """(catalogue key, values) naming a visible person for the viewer."""
    if relation == "self":
        return "party.you", {}
    if age is not None:
        return "party.your_child_age", {"age": age}
    return "party.your_child", {}


def field_label(t: Catalogue, name: str) -> str:
    """A record field's name in plain words (an unknown one as itself, readable)."""
    key = f"field.{name}"
    return t(key) if t.has(key) else name.replace("_", " ").capitalize()


def plain_value(t: Catalogue, labels: Labels, value: Any) -> str:
    """A record value as text: yes/no, lists joined, dates in words, nothing as a dash."""
    if value is None or value == "" or value == []:
        return t("dossier.no_value")
    if isinstance(value, bool):
        return t("dossier.yes") if value else t("dossier.no")
    if isinstance(value, list):
        return ", ".join(plain_value(t, labels, v) for v in value)
    if isinstance(value, dict):
        return "; ".join(
            f"{field_label(t, str(k))}: {plain_value(t, labels, v)}" for k, v in value.items()
        )
    text = str(value)
    if len(text) == 10 and text[4:5] == "-" and text[7:8] == "-":
        try:
            return labels.day(date.fromisoformat(text))
        except ValueError:
            return text
    return text


def moment(t: Catalogue, labels: Labels, value: datetime | None) -> str:
    """A moment as the viewer reads it: the day and the time in the Netherlands."""
    if value is None:
        return ""
    local = value.astimezone(DUTCH_TIME)
    return t("when.moment", day=labels.day(local), time=f"{local:%H:%M}")


def references_text(article: str, statutory: str | None) -> str:
    """The AVG article and the rule's statute, without saying the same reference twice."""
    parts = [article]
    for part in (statutory or "").split(";"):
        if part.strip() and part.strip() not in article:
            parts.append(part.strip())
    return "; ".join(parts)
