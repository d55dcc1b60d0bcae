"""What each organisation type's system holds, in its own native field names.

Dutch field names as a real registration system would use them, including
fields no mapping should ever let through (internal notes, the BSN itself):
the reference sources send everything, and the gateway must minimise.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.reference.synthetic import Household, Person

__all__ = ["RVDK_TABLES", "build_source_records", "merge_documents"]

# The RvdK system is a database: its document holds one list of rows per table.
RVDK_TABLES = ("personen", "onderzoeken", "beschikkingen", "justitiele_documentatie")

_REPORTER_RELATIONS = ("buurvrouw", "leerkracht", "huisarts", "grootouder", "sportcoach")
_SCHOOLS = ("Basisschool De Proeftuin", "OBS Het Voorbeeld", "Testcollege Synthetica")


def build_source_records(
    rng: random.Random,
    today: date,
    people: Sequence[Person],
    households: Sequence[Household],
    scenarios: Mapping[str, str],
) -> dict[str, dict[str, dict[str, Any]]]:
    """org type → BSN → native document, for every household's involved organisations."""
    by_bsn = {p.bsn: p for p in people}
    out: dict[str, dict[str, dict[str, Any]]] = {
        t: {} for t in ("wijkteam", "veilig_thuis", "gi", "rvdk", "rvt")
    }
    for number, household in enumerate(households, start=1):
        members = [by_bsn[bsn] for bsn in household.members]
        address = {
            "straat": "Proefstraat",
            "huisnummer": str(number * 3 + 1),
            "postcode": f"0{number:03d} ZZ",
            "woonplaats": "Voorbeeldstad",
        }
        ctx = _Context(rng, today, household, members, address, scenarios)
        for person in members:
            if "wijkteam" in household.involved:
                out["wijkteam"][person.bsn] = ctx.wijkteam(person)
            if "veilig_thuis" in household.involved:
                out["veilig_thuis"][person.bsn] = ctx.veilig_thuis(person)
            if "gi" in household.involved:
                out["gi"][person.bsn] = ctx.gi(person)
            if "rvdk" in household.involved:
                out["rvdk"][person.bsn] = ctx.rvdk(person)
            if "rvt" in household.involved:
                parts = [out[t].get(person.bsn) for t in ("veilig_thuis", "gi", "rvdk")]
                out["rvt"][person.bsn] = merge_documents([p for p in parts if p])
    return out


def merge_documents(documents: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One merged view (the RVT's): lists concatenated without repeats, first object wins."""
    merged: dict[str, Any] = {}
    for document in documents:
        for key, value in document.items():
            if isinstance(value, list) and isinstance(merged.get(key), list):
                seen = [_sans_bsn(v) for v in merged[key]]
                merged[key] = merged[key] + [v for v in value if _sans_bsn(v) not in seen]
            else:
                merged.setdefault(key, value)
    return merged


def _email(name: str) -> str:
    local = "".join(c if c.isalnum() else "." for c in name.lower()).strip(".")
    return f"{local}@voorbeeld.invalid"


def _sans_bsn(value: Any) -> Any:
    """Rows of the RvdK tables carry the BSN; compare them without it."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k != "bsn"}
    return value


class _Context:
    """One household's facts shared by every organisation's view of it."""

    def __init__(
        self,
        rng: random.Random,
        today: date,
        household: Household,
        members: list[Person],
        address: dict[str, str],
        scenarios: Mapping[str, str],
    ) -> None:
        self.rng = rng
        self.today = today
        self.household = household
        self.members = members
        self.address = address
        self.scenarios = scenarios
        self.children = [p for p in members if p.role == "child"]
        year = today.year % 100
        self.case = f"C/99/{rng.randint(100000, 999999)} / JE RK {year:02d}-{rng.randint(100, 999)}"
        ots = scenarios.get("child_under_ots")
        chosen = [c for c in self.children if c.bsn == ots] or self.children[:1]
        self.measure_child = chosen[0] if chosen else None
        self.report: dict[str, Any] | None = None  # one VT report per household
        self.phones = {p.bsn: f"000-{rng.randint(1000000, 9999999)}" for p in members}

    def _day(self, earliest: int, latest: int) -> str:
        return (self.today - timedelta(days=self.rng.randint(earliest, latest))).isoformat()

    def _client(self, person: Person) -> dict[str, Any]:
        return {
            "bsn": person.bsn,
            "naam": person.name,
            "geboortedatum": person.birth_date.isoformat(),
            "adres": dict(self.address),
            "telefoon": self.phones[person.bsn],
            "email": _email(person.name),
        }

    def _shelter(self) -> dict[str, str]:
        return {
            "straat": "Postbus",
            "huisnummer": str(self.rng.randint(1000, 9999)),
            "postcode": "0000 OP",
            "woonplaats": "Opvanglocatie Synthetica (geheim)",
        }

    def wijkteam(self, person: Person) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "bsn": person.bsn,
            "client": self._client(person),
            "huishouden": {
                "huishoudnummer": self.household.id,
                "leden": [
                    {"naam": m.name, "geboortedatum": m.birth_date.isoformat(), "rol": m.role}
                    for m in self.members
                ],
            },
            "plan_van_aanpak": [
                {
                    "doel": "Rust en regelmaat in het gezin (synthetisch)",
                    "afspraken": ["wekelijks huisbezoek", "opvoedondersteuning"],
                    "startdatum": self._day(60, 400),
                    "status": "lopend",
                    "regisseur": self.household.contact_person,
                }
            ],
            "gezondheid": [
                {
                    "datum": self._day(10, 300),
                    "notitie": "Slaapproblemen gemeld bij huisarts (synthetisch)",
                    "bron": "huisarts",
                }
            ],
            "interne_notities": [
                {"datum": self._day(1, 30), "tekst": "INTERN: niet delen", "medewerker": "mw-17"}
            ],
        }
        if person.role == "child" and self.today.year - person.birth_date.year >= 4:
            doc["school"] = {
                "school": self.rng.choice(_SCHOOLS),
                "klas": f"groep {self.rng.randint(1, 8)}",
                "signaal": self.rng.choice(["verzuim", "geen", "gedrag in de klas"]),
                "leerplicht_betrokken": self.rng.random() < 0.3,
            }
        else:
            doc["financien"] = {
                "inkomensbron": self.rng.choice(["loondienst", "uitkering", "zzp"]),
                "schulden_euro": self.rng.randint(0, 40) * 250,
                "schuldhulpverlening": self.rng.random() < 0.4,
            }
        if person.bsn == self.scenarios.get("shelter_address"):
            doc["client"]["verblijfsadres"] = self._shelter()
            doc["client"]["geheim_adres"] = True
        return doc

    def _report(self) -> dict[str, Any]:
        return {
            "meldingnummer": f"VT-{self.today.year}-{self.rng.randint(10000, 99999)}",
            "ontvangen_op": self._day(30, 200),
            "aard": "vermoeden huiselijk geweld (synthetisch)",
            "samenvatting": "Melding over spanningen en geweld in het gezin (synthetisch).",
            "betrokken_kinderen": [c.name for c in self.children],
            "melder": {
                "naam": f"Melder {self.rng.choice(('Anouk', 'Bas', 'Cor'))}-Synthetisch",
                "relatie": self.rng.choice(_REPORTER_RELATIONS),
                "telefoon": f"000-{self.rng.randint(1000000, 9999999)}",
            },
        }

    def veilig_thuis(self, person: Person) -> dict[str, Any]:
        if self.report is None:
            self.report = self._report()
        doc: dict[str, Any] = {
            "bsn": person.bsn,
            "client": self._client(person),
            "meldingen": [dict(self.report)],
            "veiligheidsbeoordeling": [
                {
                    "datum": self._day(5, 29),
                    "uitkomst": self.rng.choice(["onveilig", "voorwaardelijk veilig"]),
                    "risicofactoren": ["partnergeweld", "stress door schulden"],
                    "veiligheidsafspraken": "Geen contact zonder begeleiding (synthetisch).",
                    "beoordelaar": self.household.contact_person,
                }
            ],
            "zaakbehandeling_intern": {"werkvoorraad": "team-noord", "prioriteit": 2},
        }
        if person.bsn == self.scenarios.get("shelter_address"):
            doc["opvang"] = {"adres": self._shelter(), "sinds": self._day(20, 90)}
        return doc

    def gi(self, person: Person) -> dict[str, Any]:
        child = self.measure_child
        doc: dict[str, Any] = {
            "bsn": person.bsn,
            "betrokkene": self._client(person),
            "plan_van_aanpak": [
                {
                    "doel": "Veilig opgroeien thuis (synthetisch)",
                    "afspraken": ["gezinsvoogd komt tweewekelijks"],
                    "startdatum": self._day(40, 200),
                    "evaluatiedatum": (self.today + timedelta(days=90)).isoformat(),
                }
            ],
            "werkaantekeningen": [{"datum": self._day(1, 20), "tekst": "INTERN: niet delen"}],
        }
        if child is not None and person.bsn == child.bsn:
            doc["maatregelen"] = [
                {
                    "maatregel": "OTS",
                    "ingangsdatum": self._day(100, 300),
                    "einddatum": (self.today + timedelta(days=200)).isoformat(),
                    "jeugdbeschermer": self.household.contact_person,
                    "status": "lopend",
                    "zaaknummer": self.case,
                }
            ]
            doc["beschikkingen"] = [self._decision()]
        return doc

    def _decision(self) -> dict[str, str]:
        return {
            "zaaknummer": self.case,
            "rechtbank": "Rechtbank Voorbeeldstad (synthetisch)",
            "datum": (self.today - timedelta(days=120)).isoformat(),
            "dictum": "Ondertoezichtstelling voor de duur van twaalf maanden.",
        }

    def rvdk(self, person: Person) -> dict[str, Any]:
        row = {"bsn": person.bsn}
        doc: dict[str, Any] = {
            "personen": [
                {
                    **row,
                    "naam": person.name,
                    "geboortedatum": person.birth_date.isoformat(),
                    "adres": " ".join(self.address.values()),
                }
            ],
            "onderzoeken": [],
            "beschikkingen": [],
            "justitiele_documentatie": [],
        }
        if self.measure_child is not None and person.bsn == self.measure_child.bsn:
            doc["onderzoeken"].append(
                {
                    **row,
                    "onderzoeksnummer": f"RVDK-{self.rng.randint(100000, 999999)}",
                    "soort": "beschermingsonderzoek",
                    "startdatum": (self.today - timedelta(days=200)).isoformat(),
                    "afgerond_op": (self.today - timedelta(days=130)).isoformat(),
                    "advies": "Verzoek ondertoezichtstelling (synthetisch).",
                    "raadsonderzoeker": self.household.contact_person,
                    "interne_opmerking": "INTERN: niet delen",
                }
            )
            doc["beschikkingen"].append({**row, **self._decision()})
        if person.bsn == self.scenarios.get("criminal_record"):
            doc["justitiele_documentatie"].append(
                {
                    **row,
                    "registratiedatum": (self.today - timedelta(days=900)).isoformat(),
                    "omschrijving": "Eenvoudige mishandeling (synthetisch)",
                    "afdoening": "taakstraf 60 uur",
                }
            )
        return doc
