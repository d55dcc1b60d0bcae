"""Export the log to a self-contained JSON Lines file, and verify such a file offline.

Line 1 is a header `{"type": "header", "format": "jeugd-gateway-audit-export",
"version": 1, "exported_at": ..., "entries": n, "checkpoints": m}`; then one
`{"type": "checkpoint", ...}` line per signed checkpoint (anchors included);
then one `{"type": "entry", ...}` line per entry in seq order, with exactly the
stored fields. Verifying needs only the file and the gateway's public JWKS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.audit.model import AuditEntry, Checkpoint, format_time
from gateway.audit.storage import read_checkpoints, stream_entries
from gateway.audit.verify import ChainVerifier, VerifyReport

__all__ = [
    "EXPORT_FORMAT",
    "ExportError",
    "ExportSummary",
    "export_log",
    "load_jwks",
    "verify_export",
]

EXPORT_FORMAT = "jeugd-gateway-audit-export"
EXPORT_VERSION = 1


class ExportError(Exception):
    """The file is not an audit export (or not one this version reads); one-line message."""


@dataclass(frozen=True)
class ExportSummary:
    entries: int
    checkpoints: int


async def export_log(engine: AsyncEngine, out: Path) -> ExportSummary:
    """Write every checkpoint and entry to `out` (written aside, then renamed into place)."""
    tmp = out.with_name(out.name + ".partial")
    count = 0
    async with engine.connect() as conn:
        checkpoints = await read_checkpoints(conn)  # first: entries read later cover them all
        with tmp.open("w", encoding="utf-8") as fh:
            _line(fh, {"type": "header", "format": EXPORT_FORMAT, "version": EXPORT_VERSION,
                       "exported_at": format_time(datetime.now(UTC))})  # fmt: skip
            for checkpoint in checkpoints:
                _line(fh, {"type": "checkpoint", **checkpoint.to_json()})
            async for entry in stream_entries(conn):
                _line(fh, {"type": "entry", **entry.to_json()})
                count += 1
    tmp.replace(out)
    return ExportSummary(count, len(checkpoints))


def _line(fh: IO[str], data: Mapping[str, Any]) -> None:
    fh.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")


def load_jwks(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ExportError(f"{path} is not a readable JWKS file ({type(exc).__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ExportError(f"{path} is not a JWKS (an object with a `keys` list)")
    return data


def verify_export(path: Path, jwks: Mapping[str, Any]) -> VerifyReport:
    """Verify an export file against the public keys alone; ExportError if it is not one."""
    try:
        with path.open(encoding="utf-8") as fh:
            records = _records(fh, path)
            checkpoints: list[Checkpoint] = []
            pending: AuditEntry | None = None
            for kind, data in records:
                if kind != "checkpoint":
                    pending = _entry(data, path)
                    break
                checkpoints.append(_checkpoint(data, path))
            verifier = ChainVerifier(checkpoints, jwks)
            if pending is not None:
                verifier.feed(pending)
            for kind, data in records:
                if kind != "entry":
                    raise ExportError(f"{path}: a {kind} line after the entries")
                verifier.feed(_entry(data, path))
    except OSError as exc:
        raise ExportError(f"{path} cannot be read ({type(exc).__name__})") from None
    except UnicodeDecodeError:
        raise ExportError(f"{path} is not an audit export (not UTF-8 text)") from None
    return verifier.finish()


def _records(fh: IO[str], path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    first = True
    for number, line in enumerate(fh, start=1):
        try:
            data = json.loads(line)
        except ValueError:
            raise ExportError(
                f"{path} is not an audit export (line {number} is not JSON)"
            ) from None
        if not isinstance(data, dict) or data.get("type") not in ("header", "checkpoint", "entry"):
            raise ExportError(f"{path} is not an audit export (line {number} has no known type)")
        if first:
            if data.get("type") != "header" or data.get("format") != EXPORT_FORMAT:
                raise ExportError(f"{path} is not an audit export (no export header)")
            if data.get("version") != EXPORT_VERSION:
                raise ExportError(
                    f"{path}: export version {data.get('version')!r} is not supported"
                )
            first = False
            continue
        if data["type"] == "header":
            raise ExportError(f"{path}: a second header on line {number}")
        yield data.pop("type"), data
    if first:
        raise ExportError(f"{path} is not an audit export (empty file)")


def _entry(data: Mapping[str, Any], path: Path) -> AuditEntry:
    try:
        return AuditEntry.from_json(data)
    except (KeyError, ValueError, TypeError, AttributeError):
        raise ExportError(f"{path}: an entry line lacks fields or has wrong types") from None


def _checkpoint(data: Mapping[str, Any], path: Path) -> Checkpoint:
    try:
        return Checkpoint.from_json(data)
    except (KeyError, ValueError, TypeError):
        raise ExportError(f"{path}: a checkpoint line lacks fields or has wrong types") from None
