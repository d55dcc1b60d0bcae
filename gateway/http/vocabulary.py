"""Names for the values a body holds, shared by every declaration (`msgspec.Struct`).

Purposes, categories, organisations, roles and reason codes are configuration (or,
for reasons, a closed tuple in `policies`), so a declaration cannot list them: it
marks the field with `vocabulary("Purpose")`, and the OpenAPI document replaces the
mark with a `$ref` to an enum schema of that name built from the loaded
configuration (`gateway.api.ops.openapi`). Validation stays with the route, which
answers the vocabulary's own code (`unknown_purpose`, `unknown_category`, ...).
"""

from __future__ import annotations

from typing import Annotated, Final

import msgspec

from consent import CASE_REFERENCE

__all__ = [
    "COMPONENT",
    "EXAMPLE_BSN",
    "MARK",
    "Bsn",
    "CaseReference",
    "Category",
    "ErrorCode",
    "LegalBasis",
    "Organisation",
    "OrganisationType",
    "Purpose",
    "Reason",
    "Role",
    "Time",
    "component",
    "vocabulary",
]

#: The key of the mark in a field's JSON Schema.
MARK: Final = "x-vocabulary"
#: The key naming a schema the document lifts into `components/schemas` (so a shared
#: closed set such as `Decision` has one name, not one per field that holds it).
COMPONENT: Final = "x-component"
#: A synthetic BSN that passes the elfproef (the examples use it; no real person has it).
EXAMPLE_BSN: Final = "999990019"


def component(name: str, description: str | None = None) -> msgspec.Meta:
    """Names the annotated type's schema `name` in `components/schemas`."""
    if description is None:
        return msgspec.Meta(extra_json_schema={COMPONENT: name})
    return msgspec.Meta(extra_json_schema={COMPONENT: name}, description=description)


def vocabulary(name: str, description: str | None = None) -> msgspec.Meta:
    """Marks a string field as one of the configured `name`s (an enum in the document)."""
    if description is None:
        return msgspec.Meta(extra_json_schema={MARK: name})
    return msgspec.Meta(extra_json_schema={MARK: name}, description=description)


Purpose = Annotated[str, vocabulary("Purpose")]
Category = Annotated[str, vocabulary("Category")]
Organisation = Annotated[str, vocabulary("Organisation", "An organisation id")]
OrganisationType = Annotated[str, vocabulary("OrganisationType")]
Role = Annotated[str, vocabulary("Role")]
Reason = Annotated[str, vocabulary("Reason", "Machine-readable reason code")]
ErrorCode = Annotated[str, vocabulary("ErrorCode", "A stable error code (ARCHITECTURE.md)")]
LegalBasis = Annotated[str, vocabulary("LegalBasis")]

#: Documented, checked by the route (`validate_bsn`, `invalid_bsn`) once the body's shape
#: holds, as before the declarations: a malformed BSN never hides a malformed body.
Bsn = Annotated[
    str,
    msgspec.Meta(
        extra_json_schema={"pattern": "^[0-9]{9}$"},
        description="BSN (elfproef-checked)",
        examples=[EXAMPLE_BSN],
    ),
]
#: Documented, not enforced here: the route or the store answers a bad one with its code.
CaseReference = Annotated[
    str,
    msgspec.Meta(
        extra_json_schema={"pattern": CASE_REFERENCE.pattern},
        description="The reference of an open case the requester registered",
    ),
]
#: A date-time as the JSON views write it (ISO 8601 with offset).
Time = Annotated[str, msgspec.Meta(extra_json_schema={"format": "date-time"})]
