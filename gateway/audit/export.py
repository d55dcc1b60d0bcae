"""Export the log to a self-contained JSON Lines file, and verify such a file offline.

Line 1 is a header `{"type": "header", "format": "jeugd-gateway-audit-export",
"version": 1, "exported_at": ..., "head": {"seq": n, "hash": ...}}`; then one
`{"type": "checkpoint", ...}` line per signed checkpoint (anchors included);
then one `{"type": "entry", ...}` line per entry in seq order, with exactly the
stored fields. Head, checkpoints and entries come from one snapshot. Verifying
needs only the file and the gateway's public JWKS.

What the offline check sees of a file cut short after export: entries missing
below the newest signed checkpoint in the file (`truncated`; `gateway audit export`
signs one at the head first, so that covers every entry), and entries missing
below the header's head (`tail_cut`). The header is not signed: whoever cuts the
entries *and* the checkpoint lines *and* edits the header has made what looks like
a valid older export. Only checkpoints kept elsewhere (`--witness`) show that.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.audit.ldv import ldv_record
from gateway.audit.model import AuditEntry, Checkpoint, format_time
from gateway.audit.storage import read_checkpoints, read_head, snapshot, stream_entries
from gateway.audit.verify import ChainHead, ChainVerifier, VerifyReport
from gateway.errors import AuditEntryUnreadable

__all__ = [
    "EXPORT_FORMAT",
    "ExportError",
    "ExportSummary",
    "export_log",
    "load_jwks",
    "load_witness",
    "verify_export",
    "write_ldv",
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
    async with snapshot(engine) as conn:
        try:
            head = await read_head(conn)
            checkpoints = await read_checkpoints(conn)
        except (AuditEntryUnreadable, ValueError, TypeError) as exc:
            raise ExportError(f"{exc}; run `gateway audit verify` (nothing was exported)") from None
        header = {
            "type": "header",
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "exported_at": format_time(datetime.now(UTC)),
            "head": None if head is None else {"seq": head.seq, "hash": head.hash},
        }
        # 0600: pseudonyms and sealed justifications are for the gateway's own user only
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # also when a stale `.partial` was left with another mode
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            _line(fh, header)
            for checkpoint in checkpoints:
                _line(fh, {"type": "checkpoint", **checkpoint.to_json()})
            try:
                async for entry in stream_entries(conn):
                    _line(fh, {"type": "entry", **entry.to_json()})
                    count += 1
            except AuditEntryUnreadable as exc:  # no export of a log that is not intact
                tmp.unlink(missing_ok=True)
                raise ExportError(
                    f"{exc}; run `gateway audit verify` (nothing was exported)"
                ) from None
    tmp.replace(out)
    return ExportSummary(count, len(checkpoints))


def _line(fh: IO[str], data: Mapping[str, Any]) -> None:
    fh.write(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")


def write_ldv(export: Path, out: Path, *, register: str, service: str) -> int:
    """Each entry of the export file `export` as a Logboek Dataverwerkingen record, one
    JSON line each, to `out` (0600, written aside then renamed); the number written."""
    tmp = out.with_name(out.name + ".partial")
    count = 0
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh, export.open(encoding="utf-8") as src:
        for line in src:
            data = json.loads(line)
            if isinstance(data, dict) and data.get("type") == "entry":
                entry = _entry({k: v for k, v in data.items() if k != "type"}, export)
                _line(fh, ldv_record(entry, register=register, service=service))
                count += 1
    tmp.replace(out)
    return count


def load_jwks(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ExportError(f"{path} is not a readable JWKS file ({type(exc).__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ExportError(f"{path} is not a JWKS (an object with a `keys` list)")
    return data


def load_witness(path: Path) -> list[Checkpoint]:
    """Checkpoints kept elsewhere: the JSON of `GET /api/v1/audit/checkpoints`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        items = data["checkpoints"]
        if not isinstance(items, list):
            raise TypeError
        return [Checkpoint.from_json(item) for item in items]
    except OSError as exc:
        raise ExportError(f"{path} cannot be read ({type(exc).__name__})") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ExportError(
            f"{path} is not a checkpoint list (the JSON of /api/v1/audit/checkpoints)"
        ) from None


def verify_export(
    path: Path, jwks: Mapping[str, Any], witness: Sequence[Checkpoint] = ()
) -> VerifyReport:
    """Verify an export file against the public keys alone; ExportError if it is not one.

    The end of the file is compared with the header's head (older exports have
    none) and with any `witness` checkpoints.
    """
    header: dict[str, Any] = {}
    try:
        with path.open(encoding="utf-8") as fh:
            records = _records(fh, path, header)
            checkpoints: list[Checkpoint] = list(witness)
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
    return verifier.finish(_head(header.get("head"), path))


def _head(data: Any, path: Path) -> ChainHead | None:
    if data is None:
        return None
    try:
        seq, hash_ = data["seq"], data["hash"]
        if isinstance(seq, bool) or not isinstance(seq, int) or not isinstance(hash_, str):
            raise TypeError
    except (KeyError, TypeError):
        raise ExportError(f"{path}: the header's head lacks fields or has wrong types") from None
    return ChainHead(seq, hash_)


def _records(
    fh: IO[str], path: Path, header: dict[str, Any]
) -> Iterator[tuple[str, dict[str, Any]]]:
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
            header.update(data)
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
