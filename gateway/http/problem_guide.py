"""What each problem `code` means for an integrator, and what to do about it, in nl and en.

One entry per code of the one error tree (`gateway.errors.all_error_classes`; a test keeps
the two equal). The gateway serves these at `/problems/{code}` (the `type` of every
problem points there) and docs/connect.md's table is generated from them
(`python -m gateway.http.problem_guide`), so the page, the guide and the code cannot
drift apart. Texts are fixed: they never carry anything of a request.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.errors import GatewayError, all_error_classes

__all__ = ["GUIDE", "ProblemGuide", "guide_for", "markdown_table"]


@dataclass(frozen=True, slots=True)
class ProblemGuide:
    """A code's Dutch title and the advice in both languages (the English title is the
    error class's own)."""

    title_nl: str
    advice_en: str
    advice_nl: str


_V = "GET /api/v1/vocabulary lists the valid values"
_V_NL = "GET /api/v1/vocabulary geeft de geldige waarden"

GUIDE: dict[str, ProblemGuide] = {
    "internal_error": ProblemGuide(
        "Interne fout",
        "Something unexpected went wrong; no data was released. Retry later and give the "
        "operator the request_id.",
        "Er ging iets onverwachts mis; er zijn geen gegevens verstrekt. Probeer het later "
        "opnieuw en geef de beheerder de request_id.",
    ),
    "bad_request": ProblemGuide(
        "Ongeldig verzoek",
        "A value in the request cannot be used (the detail says which part). Fix the request; "
        "nothing was written.",
        "Een waarde in het verzoek is niet bruikbaar (de detail zegt welk deel). Verbeter het "
        "verzoek; er is niets vastgelegd.",
    ),
    "invalid_json": ProblemGuide(
        "Geen geldige JSON",
        "The body is not valid JSON (or has NaN, NUL, or nests deeper than 32 levels). Send "
        "one JSON object.",
        "De body is geen geldige JSON (of bevat NaN, NUL, of is dieper dan 32 niveaus). "
        "Stuur één JSON-object.",
    ),
    "validation_failed": ProblemGuide(
        "Verzoek past niet bij het schema",
        "The body does not match the operation's schema in /api/v1/openapi.json; `errors` "
        "names each field.",
        "De body past niet bij het schema van de operatie in /api/v1/openapi.json; `errors` "
        "noemt elk veld.",
    ),
    "invalid_bsn": ProblemGuide(
        "BSN is niet geldig",
        "The BSN must be 9 digits that pass the elfproef. Check the number in your system.",
        "Het BSN moet uit 9 cijfers bestaan en de elfproef doorstaan. Controleer het nummer "
        "in uw systeem.",
    ),
    "unknown_purpose": ProblemGuide(
        "Onbekend doel",
        f"The purpose is not in the vocabulary; `valid_values` names the purposes; {_V}.",
        f"Het doel staat niet in het begrippenkader; `valid_values` noemt de doelen; {_V_NL}.",
    ),
    "unknown_category": ProblemGuide(
        "Onbekende gegevenscategorie",
        f"A category is not in the vocabulary; `valid_values` names the categories; {_V}.",
        f"Een categorie staat niet in het begrippenkader; `valid_values` noemt de "
        f"categorieën; {_V_NL}.",
    ),
    "unknown_source": ProblemGuide(
        "Onbekende bronorganisatie",
        "A source is not an organisation with a source system. Leave `sources` out to ask "
        "every source.",
        "Een bron is geen organisatie met een bronsysteem. Laat `sources` weg om alle bronnen "
        "te vragen.",
    ),
    "unknown_organisation": ProblemGuide(
        "Onbekende organisatie",
        f"An organisation id is not registered at this gateway; {_V}.",
        f"Een organisatie-id is niet bij deze gateway geregistreerd; {_V_NL}.",
    ),
    "invalid_validity": ProblemGuide(
        "Geldigheidsperiode is niet geldig",
        "valid_from must come before valid_until, and both must be real moments with a time zone.",
        "valid_from moet vóór valid_until liggen, beide echte momenten met een tijdzone.",
    ),
    "justification_required": ProblemGuide(
        "Doorbreken van het glas vraagt een motivering",
        "The acute_safety purpose needs break_glass.justification: say why, in words a "
        "privacy officer can review.",
        "Het doel acute_safety vraagt break_glass.justification: schrijf waarom, zodat een "
        "privacyfunctionaris het kan beoordelen.",
    ),
    "invalid_filter": ProblemGuide(
        "Filterwaarde is niet geldig",
        "A query filter has a value of the wrong form; the detail names the filter.",
        "Een filter in de query heeft een waarde van de verkeerde vorm; de detail noemt het "
        "filter.",
    ),
    "invalid_cursor": ProblemGuide(
        "Cursor past niet bij deze zoekvraag",
        "Use the cursor exactly as the previous page returned it, with the same filters.",
        "Gebruik de cursor precies zoals de vorige pagina hem gaf, met dezelfde filters.",
    ),
    "unauthenticated": ProblemGuide(
        "Inloggen nodig",
        "This needs an organisation token or a household session.",
        "Hiervoor is een organisatietoken of een sessie van een gezinslid nodig.",
    ),
    "token_missing": ProblemGuide(
        "Geen bearer-token",
        "Send Authorization: Bearer <JWT>, a new token per call (docs/connect.md).",
        "Stuur Authorization: Bearer <JWT>, per aanroep een nieuw token (docs/connect.md).",
    ),
    "token_invalid": ProblemGuide(
        "Token is niet geldig",
        "The token breaks the contract (the detail says how): alg, aud, iat/exp, a lifetime "
        "over 5 minutes, or a claim outside the grammar.",
        "Het token houdt zich niet aan het contract (de detail zegt hoe): alg, aud, iat/exp, "
        "een looptijd boven 5 minuten, of een claim buiten de grammatica.",
    ),
    "token_expired": ProblemGuide(
        "Token is verlopen",
        "Sign a new token just before each call; check your system's clock (NTP).",
        "Onderteken vlak voor elke aanroep een nieuw token; controleer de klok van uw "
        "systeem (NTP).",
    ),
    "token_replayed": ProblemGuide(
        "Token is al gebruikt",
        "Every call needs a new token with a fresh jti; a token is never reused, not even "
        "for a retry.",
        "Elke aanroep vraagt een nieuw token met een nieuwe jti; een token wordt nooit "
        "hergebruikt, ook niet bij een nieuwe poging.",
    ),
    "unknown_issuer": ProblemGuide(
        "Uitgever van het token is onbekend",
        "iss must be your organisation id as registered in config/organisations.toml.",
        "iss moet uw organisatie-id zijn zoals geregistreerd in config/organisations.toml.",
    ),
    "unknown_key": ProblemGuide(
        "Sleutel van het token is onbekend",
        "The kid is not one of your organisation's registered keys: register the new public "
        "key before signing with it (docs/connect.md, key rotation).",
        "De kid hoort niet bij de geregistreerde sleutels van uw organisatie: registreer de "
        "nieuwe publieke sleutel voordat u ermee ondertekent (docs/connect.md).",
    ),
    "client_certificate_mismatch": ProblemGuide(
        "Clientcertificaat hoort niet bij de uitgever",
        "Connect with a client certificate whose SHA-256 your organisation pinned "
        "(client_cert_sha256).",
        "Maak verbinding met een clientcertificaat waarvan uw organisatie de SHA-256 heeft "
        "vastgelegd (client_cert_sha256).",
    ),
    "forbidden": ProblemGuide(
        "Niet toegestaan",
        "The caller may not do this.",
        "De aanroeper mag dit niet doen.",
    ),
    "csrf_token_invalid": ProblemGuide(
        "Het formulier is verlopen",
        "Reload the page and send the form again.",
        "Laad de pagina opnieuw en verstuur het formulier nog eens.",
    ),
    "role_required": ProblemGuide(
        "Deze rol mag dit niet",
        "The token's role may not use this operation (e.g. the audit log needs privacy_officer).",
        "De rol in het token mag deze operatie niet gebruiken (het auditlog vraagt "
        "bijvoorbeeld privacy_officer).",
    ),
    "role_not_allowed": ProblemGuide(
        "Rol past niet bij de organisatie",
        f"The role claim is not one your organisation type may assert (a typo?); "
        f"`valid_roles` lists them; {_V}.",
        f"De rol in het token hoort niet bij uw soort organisatie (een tikfout?); "
        f"`valid_roles` noemt ze; {_V_NL}.",
    ),
    "policy_invalid": ProblemGuide(
        "Kandidaat-regels laden niet",
        "The candidate rule set does not load; `errors` lists every problem the loader "
        "found. Fix them and send the set again.",
        "De kandidaat-regels laden niet; `errors` noemt elk probleem dat de lader vond. "
        "Herstel ze en stuur de set opnieuw.",
    ),
    "too_many_rules": ProblemGuide(
        "Te veel regels of bestanden",
        "The candidate rule set has more rules or files than a simulation accepts; send a "
        "smaller set.",
        "De kandidaat-regels hebben meer regels of bestanden dan een simulatie aanneemt; "
        "stuur een kleinere set.",
    ),
    "simulation_period_too_long": ProblemGuide(
        "Periode te lang",
        "The simulated period is longer than allowed; choose a shorter `from`-`to`.",
        "De gesimuleerde periode is langer dan mag; kies een kortere periode.",
    ),
    "too_many_decisions": ProblemGuide(
        "Te veel beslissingen",
        "The chosen period holds more past decisions than one simulation replays; choose a "
        "shorter period.",
        "De gekozen periode bevat meer beslissingen dan een simulatie naspeelt; kies een "
        "kortere periode.",
    ),
    "rate_limited": ProblemGuide(
        "Te vaak gevraagd",
        "This costly operation (re-verifying the whole audit chain) is limited per officer and "
        "overall per minute; nothing was done. Wait a minute and try again.",
        "Deze zware handeling (de hele auditketen opnieuw controleren) is per functionaris en "
        "in totaal per minuut beperkt; er is niets gedaan. Wacht een minuut en probeer het "
        "opnieuw.",
    ),
    "not_regiehouder": ProblemGuide(
        "Alleen de regiehouder mag dit",
        "Only the household's regiehouder may change it; ask them, or ask for a hand-over.",
        "Alleen de regiehouder van het gezin mag dit wijzigen; vraag het hen, of vraag om "
        "een overdracht.",
    ),
    "no_custody": ProblemGuide(
        "Geen gezag over dit kind",
        "The custody register does not show custody of this person over the child; only a "
        "parent with custody acts for a child.",
        "Het gezagsregister toont geen gezag van deze persoon over het kind; alleen een "
        "ouder met gezag handelt voor een kind.",
    ),
    "withdrawal_not_permitted": ProblemGuide(
        "Intrekken mag niet",
        "Only the person, a custody holder, or the organisation that recorded the consent "
        "may withdraw it.",
        "Alleen de persoon zelf, iemand met gezag, of de organisatie die de toestemming "
        "vastlegde, mag haar intrekken.",
    ),
    "not_found": ProblemGuide(
        "Niet gevonden",
        "No such resource, or not one you may see (the two are not told apart).",
        "Dit bestaat niet, of u mag het niet zien (die twee worden niet onderscheiden).",
    ),
    "method_not_allowed": ProblemGuide(
        "Methode niet toegestaan",
        "Use one of the methods the Allow header names.",
        "Gebruik een van de methodes die de Allow-header noemt.",
    ),
    "conflict": ProblemGuide(
        "Conflict",
        "The resource is not in a state that allows this.",
        "Het gegeven staat niet in een toestand die dit toelaat.",
    ),
    "consent_already_withdrawn": ProblemGuide(
        "Toestemming was al ingetrokken",
        "Nothing to do: the consent no longer counts.",
        "Niets te doen: de toestemming telt al niet meer.",
    ),
    "case_already_closed": ProblemGuide(
        "Zaak was al gesloten",
        "Nothing to do: the case no longer counts as a case reference.",
        "Niets te doen: de zaak telt al niet meer als zaakreferentie.",
    ),
    "case_reference_in_use": ProblemGuide(
        "Zaakreferentie is al in gebruik",
        "Your organisation has an open case with this reference; use it, or close it first.",
        "Uw organisatie heeft een open zaak met deze referentie; gebruik die, of sluit haar eerst.",
    ),
    "regiehouder_exists": ProblemGuide(
        "Er is al een regiehouder",
        "Someone in the household already has a regiehouder; only a hand-over by that "
        "regiehouder changes it.",
        "Iemand in het gezin heeft al een regiehouder; alleen een overdracht door die "
        "regiehouder verandert dat.",
    ),
    "payload_too_large": ProblemGuide(
        "Verzoek is te groot",
        "The body is larger than the gateway accepts (1 MiB by default).",
        "De body is groter dan de gateway aanneemt (standaard 1 MiB).",
    ),
    "unsupported_media_type": ProblemGuide(
        "Verkeerd inhoudstype",
        "Send Content-Type: application/json.",
        "Stuur Content-Type: application/json.",
    ),
    "unprocessable_content": ProblemGuide(
        "Verzoek kan niet worden verwerkt",
        "The request is well-formed but cannot be carried out as asked.",
        "Het verzoek is goed van vorm maar kan zo niet worden uitgevoerd.",
    ),
    "aggregates_only_purpose": ProblemGuide(
        "Dit doel geeft alleen totalen",
        "This purpose (e.g. monitoring) never answers about one person; use "
        "GET /api/v1/statistics.",
        "Dit doel (bijvoorbeeld monitoring) geeft nooit antwoord over één persoon; gebruik "
        "GET /api/v1/statistics.",
    ),
    "custody_not_confirmed": ProblemGuide(
        "Gezag niet bevestigd",
        "The custody register does not confirm the custody you registered; register what "
        "the register says.",
        "Het gezagsregister bevestigt het opgegeven gezag niet; registreer wat het register zegt.",
    ),
    "person_not_confirmed": ProblemGuide(
        "Persoon niet bevestigd",
        "The register does not know this person (BSN and birth date); check both.",
        "Het register kent deze persoon niet (BSN en geboortedatum); controleer beide.",
    ),
    "service_unavailable": ProblemGuide(
        "Dienst niet beschikbaar",
        "A part the gateway needs is down; no data was released. Retry with a new token "
        "after a pause.",
        "Een onderdeel dat de gateway nodig heeft is niet bereikbaar; er zijn geen gegevens "
        "verstrekt. Probeer het na een pauze opnieuw met een nieuw token.",
    ),
    "audit_unavailable": ProblemGuide(
        "Auditlog niet beschikbaar",
        "The access could not be logged, so no data was released. Retry later with a new token.",
        "De toegang kon niet worden gelogd, dus zijn er geen gegevens verstrekt. Probeer het "
        "later opnieuw met een nieuw token.",
    ),
    "custody_register_unavailable": ProblemGuide(
        "Gezagsregister niet bereikbaar",
        "The custody register cannot be reached; nothing was written. Retry later.",
        "Het gezagsregister is niet bereikbaar; er is niets vastgelegd. Probeer het later opnieuw.",
    ),
}


def guide_for(code: str) -> tuple[type[GatewayError], ProblemGuide] | None:
    """The error class and the guide of `code`, or None for a code the gateway never gives."""
    for cls in all_error_classes():
        if cls.code == code and code in GUIDE:
            return cls, GUIDE[code]
    return None


def markdown_table() -> str:
    """docs/connect.md's table of codes: status, meaning, what to do (sorted like
    ARCHITECTURE.md's: by status, then code)."""
    rows = sorted({(cls.status, cls.code, cls.title) for cls in all_error_classes()})
    lines = ["| code | HTTP | meaning | what to do |", "|---|---|---|---|"]
    for status, code, title in rows:
        advice = GUIDE[code].advice_en.replace("|", "\\|")
        lines.append(f"| `{code}` | {status} | {title} | {advice} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
