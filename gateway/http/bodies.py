"""Reading JSON bodies and writing JSON answers the same way everywhere.

Every route that takes a body reads it through `read_body(request, Type)` (a typed
`msgspec.Struct`, declared once, from which the OpenAPI schema also comes) or, for a
body with no declaration yet, `read_json_object`; a test keeps it so. The limits are
enforced once, for both: size (413), content type (415), syntax (`invalid_json`;
also `NaN`/`Infinity`, which are not JSON), nesting depth, and text no store can
hold (NUL, lone surrogates) (`validation_failed`), and the time the body may take
to arrive (`bad_request`).

A body that breaks its declaration is `validation_failed`, unless the Struct names
another code for the member at fault in its `__errors__` class variable (for example
`{"$.subject.bsn": InvalidBsn}`: the member holds the wrong type), or, for a required
member that is absent, in `__absent__` (`{"$.subject": InvalidBsn}`; an absent member
is otherwise the fault of the object that lacks it); the detail names the member
(`$.purpose`), never its value.

Fast path: a body without a `\\u` escape, for a Struct that refuses unknown members
(the exchange's), is decoded straight from bytes into the Struct (msgspec, in C).
Such bytes cannot hold NUL or a lone surrogate (raw ones are not JSON, resp. not
UTF-8), and such a Struct's nesting is bounded by its declaration (one that ignores
unknown members would skip a too deeply nested one unchecked: those take the full
way); anything the fast decoder refuses is read again the full way (`json.loads`, the tree
check, then conversion), so the answer is the same either way.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import msgspec
from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError, LineTooLong

from gateway.appkeys import SETTINGS
from gateway.errors import (
    BadRequest,
    GatewayError,
    InvalidJson,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from gateway.http.inputs import clean_text, has_forbidden_text

__all__ = [
    "MAX_JSON_DEPTH",
    "body_error",
    "convert_body",
    "decode_body",
    "json_response",
    "read_body",
    "read_form",
    "read_json_object",
    "read_upload_form",
]

#: The deepest nesting any request schema needs is 4; 32 leaves room and stays far
#: from the recursion limit of every consumer (policy, audit canonical form).
MAX_JSON_DEPTH = 32

S = TypeVar("S", bound=msgspec.Struct)

_AT = re.compile(r" - at `(\$[^`]*)`$")
_INDEX = re.compile(r"\[\d+\]")
_ABSENT = re.compile(r"^Object missing required field `([^`]+)`$")


async def read_body(request: web.Request, kind: type[S]) -> S:
    """The body as a `kind`: the limits of `read_json_object`, then the declaration."""
    return decode_body(await _read_raw(request), kind)


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object: 415 for another content type, 400 for bad JSON, 413 if too big."""
    return _parse_tree(await _read_raw(request))


def decode_body(raw: bytes, kind: type[S]) -> S:
    """Bytes of a JSON body as a `kind`, or the problem `read_body` would answer."""
    if b"\\u" not in raw and kind.__struct_config__.forbid_unknown_fields:
        try:
            decoder: msgspec.json.Decoder[S] = _decoder(kind)
            return decoder.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
            pass  # the full way below decides which problem it is
    return convert_body(_parse_tree(raw), kind)


def convert_body(body: Mapping[str, Any], kind: type[S]) -> S:
    """A checked JSON object (from `read_json_object`) as a `kind`."""
    try:
        return msgspec.convert(body, kind)
    except msgspec.ValidationError as exc:
        raise body_error(kind, exc) from None


def body_error(kind: type[msgspec.Struct], exc: msgspec.ValidationError) -> GatewayError:
    """The problem for a body that breaks its declaration (see the module docstring)."""
    message = str(exc)
    found = _AT.search(message)
    path = found.group(1) if found else "$"
    text = message[: found.start()] if found else message
    errors: Mapping[str, type[GatewayError]] = getattr(kind, "__errors__", {})
    error = errors.get(_INDEX.sub("[]", path), ValidationFailed)
    absent = _ABSENT.match(text)
    if absent is not None:
        absences: Mapping[str, type[GatewayError]] = getattr(kind, "__absent__", {})
        error = absences.get(_INDEX.sub("[]", f"{path}.{absent.group(1)}"), error)
    return error(f"`{path}`: {text}")


@functools.cache
def _decoder(kind: type[S]) -> msgspec.json.Decoder[S]:
    return msgspec.json.Decoder(kind)


async def _read_raw(request: web.Request) -> bytes:
    if request.content_type != "application/json":
        raise UnsupportedMediaType("Content-Type must be application/json")
    settings = request.app[SETTINGS]
    try:
        if request.content.is_eof():  # all of it has arrived (the usual small body)
            return await request.read()
        async with asyncio.timeout(settings.body_timeout_seconds):
            return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise PayloadTooLarge(f"Request body exceeds {settings.body_limit} bytes") from None
    except TimeoutError:  # a client sending its body slowly holds a connection (slow POST)
        raise BadRequest(
            f"Request body did not arrive within {settings.body_timeout_seconds:g} seconds"
        ) from None


def _parse_tree(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:  # the C scanner stops itself before the stack does
        raise ValidationFailed(f"Request body nests deeper than {MAX_JSON_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError):
        raise InvalidJson("Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ValidationFailed("Request body must be a JSON object")
    _check_tree(body)
    return body


async def read_form(
    request: web.Request, *, limit: int = 64 * 1024, within_seconds: float = 30.0
) -> list[tuple[str, str]]:
    """An `application/x-www-form-urlencoded` body as (name, value) pairs, in order (a
    name may repeat): 415 for another content type, 413 over `limit` bytes, 400 for a
    body that is slow, not UTF-8, or holds a NUL or control character."""
    if request.content_type != "application/x-www-form-urlencoded":
        raise UnsupportedMediaType("Content-Type must be application/x-www-form-urlencoded")
    try:
        async with asyncio.timeout(within_seconds):
            raw = await request.content.read(limit + 1)
    except TimeoutError:
        raise BadRequest(f"Request body did not arrive within {within_seconds:g} seconds") from None
    if len(raw) > limit:
        raise PayloadTooLarge(f"Request body exceeds {limit} bytes")
    try:
        pairs = parse_qsl(raw.decode("ascii"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("The form is not valid URL-encoded UTF-8") from None
    for name, value in pairs:
        if not clean_text(name, 256) or not clean_text(value, limit):
            raise BadRequest("A form field is not valid text")
    return pairs


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check_tree(body: dict[str, Any]) -> None:
    """Depth and text of every value, iteratively (a recursive walk is what we refuse)."""
    stack: list[tuple[Any, int]] = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise ValidationFailed(f"Request body nests deeper than {MAX_JSON_DEPTH} levels")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and has_forbidden_text(key):
                    raise ValidationFailed("A member name holds a NUL or a lone surrogate")
                stack.append((item, depth + 1))
        elif isinstance(value, str) and has_forbidden_text(value):
            raise ValidationFailed("A string holds a NUL character or a lone surrogate")


def json_response(data: Any, *, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)


#: What no text field or uploaded text file may hold (tabs and line ends may).
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


async def read_upload_form(
    request: web.Request, *, limit: int, max_parts: int = 64, within_seconds: float = 30.0
) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """A `multipart/form-data` body (a form with file inputs) as its fields, each
    (name, text), and its files, each (field name, file name, text), in order: 415 for
    another content type, 413 over `limit` bytes in all, over `max_parts` parts or with
    a part's header over the parser's line bound, 400 for a body that is slow or
    malformed, a part that is not UTF-8, or text with a NUL
    or control character (tabs and line ends are fine in a file). A file input left
    empty is left out."""
    if request.content_type != "multipart/form-data":
        raise UnsupportedMediaType("Content-Type must be multipart/form-data")
    fields: list[tuple[str, str]] = []
    files: list[tuple[str, str, str]] = []
    total = 0
    try:
        async with asyncio.timeout(within_seconds):
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, BodyPartReader):
                    raise BadRequest("A nested multipart body is not accepted")
                if len(fields) + len(files) >= max_parts:
                    raise PayloadTooLarge(f"A form may have at most {max_parts} parts")
                raw = bytearray()
                while chunk := await part.read_chunk():
                    total += len(chunk)
                    if total > limit:
                        raise PayloadTooLarge(f"Request body exceeds {limit} bytes")
                    raw += chunk
                text = raw.decode("utf-8")
                name = part.name or ""
                if not clean_text(name, 256):
                    raise BadRequest("A form field is not valid text")
                if _NOT_TEXT.search(text):
                    raise BadRequest("A form field or file is not valid text")
                if part.filename is not None:
                    if part.filename or raw:  # else a file input nobody used
                        files.append((name, part.filename, text))
                else:
                    fields.append((name, text))
    except TimeoutError:
        raise BadRequest(f"Request body did not arrive within {within_seconds:g} seconds") from None
    except LineTooLong:  # a part's header (a file name of 100 kB): the parser's own bound
        raise PayloadTooLarge("A part's header is too long") from None
    except (UnicodeDecodeError, ValueError, AssertionError, HttpProcessingError):
        raise BadRequest("The form is not valid multipart UTF-8") from None
    return fields, files
