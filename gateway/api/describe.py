"""How a route module describes its operations in its `OPENAPI` dictionary.

A body is named by its declaration, a `msgspec.Struct` type, and an example is an
instance of it; `gateway.api.ops.openapi` turns the types into `$ref`s to named
`components/schemas` (drawn from the declarations) and the instances into JSON. No
route module writes JSON Schema by hand.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["PROBLEM", "answer", "problems", "request_body"]

#: The shared RFC 9457 answer (`components/responses/Problem`).
PROBLEM: dict[str, str] = {"$ref": "#/components/responses/Problem"}


def request_body(
    kind: type[msgspec.Struct], example: msgspec.Struct | None = None
) -> dict[str, Any]:
    """A required JSON request body declared by `kind`."""
    media: dict[str, Any] = {"schema": kind}
    if example is not None:
        media["example"] = example
    return {"required": True, "content": {"application/json": media}}


def answer(
    kind: type[msgspec.Struct], description: str, example: msgspec.Struct | None = None
) -> dict[str, Any]:
    """A JSON answer declared by `kind`."""
    media: dict[str, Any] = {"schema": kind}
    if example is not None:
        media["example"] = example
    return {"description": description, "content": {"application/json": media}}


def problems(*statuses: int) -> dict[str, dict[str, str]]:
    """The problem answers an operation can give, by status."""
    return {str(status): PROBLEM for status in statuses}
