"""`gateway audit verify|export|prune`: check, archive and trim the tamper-evident audit log.

    gateway audit verify                               the chain, checkpoints and head (database)
    gateway audit verify --export FILE --jwks JWKS     an export file, offline, with the public keys
    gateway audit verify ... --witness CHECKPOINTS     also against checkpoints kept elsewhere
    gateway audit export --out FILE                    sign a checkpoint at the head, then export
    gateway audit export --format ldv --out FILE       the same, as Logboek Dataverwerkingen records
    gateway audit prune --before YYYY-MM-DD            remove older entries, keep a signed anchor

Exit codes: 0 fine, 1 a problem was found (tampering, not an export), 2 bad usage or settings.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from gateway.audit.export import ExportError, load_jwks, load_witness, verify_export, write_ldv
from gateway.audit.ldv import DEFAULT_REGISTER
from gateway.audit.model import AuditEvent, Checkpoint, format_time
from gateway.audit.reader import SqlAuditReader
from gateway.audit.retention import prune_before
from gateway.audit.verify import VerifyReport
from gateway.audit.writer import AuditLog
from gateway.auth.keys import KeyStore
from gateway.commands._common import add_settings_options, load_settings
from gateway.errors import AuditUnavailable, SettingsError
from gateway.http.inputs import parse_datetime
from gateway.settings import Settings
from gateway.storage.db import create_engine, dispose

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "audit",
        help="verify, export or prune the audit log",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = sub.add_parser(
        "verify",
        help="verify the hash chain and signed checkpoints",
        description="Verify the database's audit chain, or with --export an exported file "
        "offline (needs only the file and the gateway's public JWKS).",
    )
    add_settings_options(verify)
    verify.add_argument("--export", type=Path, metavar="FILE", help="an export file to verify")
    verify.add_argument("--jwks", type=Path, metavar="JWKS", help="the gateway's public keys")
    verify.add_argument(
        "--witness",
        type=Path,
        metavar="FILE",
        help="signed checkpoints kept outside the database (the JSON of "
        "GET /api/v1/audit/checkpoints): one beyond the chain's end shows a cut tail",
    )
    verify.set_defaults(handler=_verify)
    export = sub.add_parser("export", help="export entries and checkpoints to JSON Lines")
    add_settings_options(export)
    export.add_argument("--out", type=Path, required=True, metavar="FILE")
    export.add_argument(
        "--format",
        choices=("jsonl", "ldv"),
        default="jsonl",
        help="jsonl: the verifiable export (default); ldv: one Logboek Dataverwerkingen "
        "record per entry (trace and span ids, processing activity, data subject pseudonym)",
    )
    export.add_argument(
        "--register",
        default=DEFAULT_REGISTER,
        metavar="URI",
        help="with --format ldv: the register of processing activities the records' "
        f"processing_activity_id points into (default {DEFAULT_REGISTER})",
    )
    export.set_defaults(handler=_export)
    prune = sub.add_parser(
        "prune",
        help="remove entries before a date, keeping a signed anchor",
        description="Refuses when the chain does not verify (pruning must not hide tampering).",
    )
    add_settings_options(prune)
    prune.add_argument("--before", required=True, metavar="DATE", help="YYYY-MM-DD or ISO 8601")
    prune.set_defaults(handler=_prune)


def _settings_and_keys(args: argparse.Namespace) -> tuple[Settings, KeyStore] | None:
    """Settings and the key folder, or None after saying on stderr what is wrong."""
    settings = load_settings(args)
    if settings is None:
        return None
    try:
        return settings, KeyStore.load(settings.keys_dir)
    except SettingsError as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return None


def _print_report(report: VerifyReport) -> int:
    print(report.summary())
    for problem in report.problems[1:]:
        print(f"  seq {problem.seq}: {problem.message}")
    return 0 if report.ok else 1


def _verify(args: argparse.Namespace) -> int:
    witness: list[Checkpoint] = []
    if args.witness is not None:
        try:
            witness = load_witness(args.witness)
        except ExportError as exc:
            print(f"gateway: {exc}", file=sys.stderr)
            return 2
    if args.export is not None or args.jwks is not None:
        if args.export is None or args.jwks is None:
            print("gateway: audit verify needs both --export FILE and --jwks JWKS", file=sys.stderr)
            return 2
        try:
            report = verify_export(args.export, load_jwks(args.jwks), witness)
        except ExportError as exc:
            print(f"gateway: {exc}", file=sys.stderr)
            return 1
        return _print_report(report)
    loaded = _settings_and_keys(args)
    if loaded is None:
        return 2
    settings, keys = loaded
    return _print_report(asyncio.run(_verify_db(settings.database_url, keys, witness)))


async def _verify_db(url: str, keys: KeyStore, witness: list[Checkpoint]) -> VerifyReport:
    engine = create_engine(url)
    try:
        return await SqlAuditReader(engine, keys).verify(witness)
    finally:
        await dispose(engine)


def _export(args: argparse.Namespace) -> int:
    loaded = _settings_and_keys(args)
    if loaded is None:
        return 2
    settings, keys = loaded
    if args.format == "ldv":
        return asyncio.run(_export_ldv(settings, keys, args.out, args.register))
    return asyncio.run(_export_db(settings, keys, args.out))


async def _export_ldv(settings: Settings, keys: KeyStore, out: Path, register: str) -> int:
    """The verifiable export first (sealed by a checkpoint), then each of its entries as an
    LDV record: what is mapped is exactly what the chain holds."""
    staged = out.with_name(out.name + ".jsonl.partial")
    try:
        status = await _export_db(settings, keys, staged, quiet=True)
        if status != 0:
            return status
        try:
            count = write_ldv(staged, out, register=register, service=settings.audience)
        except ExportError as exc:
            print(f"gateway: {exc}", file=sys.stderr)
            return 1
    finally:
        staged.unlink(missing_ok=True)
    print(f"exported {count} entries as Logboek Dataverwerkingen records to {out}")
    return 0


async def _export_db(settings: Settings, keys: KeyStore, out: Path, *, quiet: bool = False) -> int:
    """Seal the head with a signed checkpoint, then export: a cut file then shows."""
    engine = create_engine(settings.database_url)
    try:
        audit = AuditLog(engine, keys, issuer=f"{settings.audience}/audit")
        await audit.start()
        try:
            await audit.checkpoint()
        except AuditUnavailable:
            print("gateway: cannot sign a checkpoint at the head; not exporting", file=sys.stderr)
            return 1
        finally:
            await audit.close()
        try:
            summary = await SqlAuditReader(engine, keys).export(out)
        except ExportError as exc:
            print(f"gateway: {exc}", file=sys.stderr)
            return 1
    finally:
        await dispose(engine)
    if not quiet:
        print(f"exported {summary.entries} entries and {summary.checkpoints} checkpoints to {out}")
    return 0


def _prune(args: argparse.Namespace) -> int:
    before = parse_datetime(args.before, naive_is_utc=True)
    if before is None:
        print("gateway: --before must be a date (YYYY-MM-DD) or ISO 8601 time", file=sys.stderr)
        return 2
    loaded = _settings_and_keys(args)
    if loaded is None:
        return 2
    settings, keys = loaded
    return asyncio.run(_prune_db(settings, keys, before))


async def _prune_db(settings: Settings, keys: KeyStore, before: datetime) -> int:
    engine = create_engine(settings.database_url)
    issuer = f"{settings.audience}/audit"
    try:
        report = await SqlAuditReader(engine, keys).verify()
        if not report.ok:
            print(
                f"gateway: not pruning, the chain does not verify: {report.summary()}",
                file=sys.stderr,
            )
            return 1
        result = await prune_before(engine, keys, before=before, issuer=issuer)
        if result.anchor_seq is None:
            print(f"nothing before {format_time(before)}")
            return 0
        audit = AuditLog(engine, keys, issuer=issuer)
        await audit.start()
        try:
            await audit.append(
                [
                    AuditEvent(
                        "audit.pruned",
                        request_id=f"cli_prune_{int(datetime.now(UTC).timestamp())}",
                        details={
                            "before": format_time(before),
                            "pruned_through": str(result.anchor_seq),
                            "removed": str(result.removed),
                        },
                    )
                ]
            )
        except AuditUnavailable:
            print("gateway: pruned, but could not log the prune", file=sys.stderr)
            return 1
        finally:
            await audit.close()
    finally:
        await dispose(engine)
    print(f"removed {result.removed} entries; signed anchor at seq {result.anchor_seq}")
    return 0
