"""`gateway policy`: check, explain, register and export the policy rules.

A thin layer over `policies`: parse arguments, call the package, print the result.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from gateway.http.inputs import parse_datetime
from policies import (
    DecisionRequest,
    PolicyEngine,
    PolicyLoadError,
    PolicySet,
    explain_report,
    export_cedar,
    load_policy_set,
    render_register,
)

__all__ = ["register"]


def _config_dir(args: argparse.Namespace) -> Path:
    configured: str | None = args.config_dir or os.environ.get("GATEWAY_CONFIG_DIR")
    return Path(configured or "config")


def _load(directory: Path) -> PolicySet | None:
    try:
        return load_policy_set(directory)
    except PolicyLoadError as exc:
        print(f"{directory}: {len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return None


def _check(args: argparse.Namespace) -> int:
    directory = Path(args.directory) if args.directory else _config_dir(args)
    policy_set = _load(directory)
    if policy_set is None:
        return 1
    print(
        f"OK: {len(policy_set.rules)} rules in {len(policy_set.files)} files, "
        f"version {policy_set.version}"
    )
    return 0


def _explain(args: argparse.Namespace) -> int:
    policy_set = _load(_config_dir(args))
    if policy_set is None:
        return 1
    vocabulary = policy_set.vocabulary
    unknown = [
        f"unknown {label} '{value}' (known: {', '.join(sorted(known))})"
        for label, value, known in (
            ("requester type", args.requester_type, vocabulary.requester_types),
            ("purpose", args.purpose, vocabulary.purposes),
            ("source type", args.source_type, vocabulary.organisation_types),
            ("category", args.category, vocabulary.categories),
        )
        if value not in known
    ]
    if unknown:
        for message in unknown:
            print(f"gateway policy explain: {message}", file=sys.stderr)
        return 2
    at = parse_datetime(args.at) if args.at else datetime.now(UTC)
    if at is None:
        print(
            "gateway policy explain: --at must be an ISO 8601 time with a UTC offset, "
            "e.g. 2026-03-01T09:00:00+01:00",
            file=sys.stderr,
        )
        return 2
    requester = vocabulary.requester_types[args.requester_type]
    request = DecisionRequest(
        requester_type=args.requester_type,
        purpose=args.purpose,
        source_type=args.source_type,
        category=args.category,
        at=at,
        requester_role=args.role,
        requester_region=args.region or "",
        subject_age=args.age,
        requester_is_regiehouder=args.regiehouder,
        has_case_reference=args.case_reference,
        channel=requester.channel,
        about_self=args.about_self,
        justification_length=args.justification_length,
    )
    decision = PolicyEngine(policy_set).decide(request)
    print(explain_report(request, decision, vocabulary))
    return 0


def _register(args: argparse.Namespace) -> int:
    policy_set = _load(_config_dir(args))
    if policy_set is None:
        return 1
    sys.stdout.write(render_register(policy_set, args.lang))
    return 0


def _export(args: argparse.Namespace) -> int:
    policy_set = _load(_config_dir(args))
    if policy_set is None:
        return 1
    export = export_cedar(policy_set)
    if args.output:
        out = Path(args.output)
        out.mkdir(parents=True, exist_ok=True)
        (out / "policies.cedar").write_text(export.policies, encoding="utf-8")
        (out / "schema.cedarschema").write_text(export.schema, encoding="utf-8")
        entities = json.dumps(export.entities, indent=2, ensure_ascii=False) + "\n"
        (out / "entities.json").write_text(entities, encoding="utf-8")
        print(f"wrote policies.cedar, schema.cedarschema and entities.json to {out}")
        return 0
    print("// ---- schema (schema.cedarschema) ----")
    print(export.schema)
    print("// ---- policies (policies.cedar) ----")
    print(export.policies, end="")
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config-dir",
        help="configuration directory (default: $GATEWAY_CONFIG_DIR, else ./config)",
    )
    parser = subparsers.add_parser("policy", help="check, explain and export the policy rules")
    commands = parser.add_subparsers(dest="policy_command", metavar="SUBCOMMAND")

    def _usage(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    parser.set_defaults(handler=_usage)

    check = commands.add_parser(
        "check", parents=[common], help="validate the vocabulary and rules (exit 1 on errors)"
    )
    check.add_argument("directory", nargs="?", help="configuration directory to check")
    check.set_defaults(handler=_check)

    explain = commands.add_parser(
        "explain", parents=[common], help="show the decision for one request and why"
    )
    explain.add_argument("--requester-type", required=True)
    explain.add_argument("--purpose", required=True)
    explain.add_argument("--source-type", required=True)
    explain.add_argument("--category", required=True)
    explain.add_argument("--age", type=int, help="age of the person the data is about")
    explain.add_argument("--region", help="region of the requesting organisation")
    explain.add_argument("--role", help="role of the requesting professional")
    explain.add_argument("--regiehouder", action="store_true", help="requester is regiehouder")
    explain.add_argument(
        "--case-reference",
        action="store_true",
        help="the requester has an open registered case covering the subject",
    )
    explain.add_argument("--about-self", action="store_true", help="portal: data about oneself")
    explain.add_argument("--justification-length", type=int, default=0, metavar="N")
    explain.add_argument("--at", help="moment of the request, ISO 8601 with offset (default now)")
    explain.set_defaults(handler=_explain)

    reg = commands.add_parser(
        "register",
        parents=[common],
        help="print the register of processing activities (AVG art. 30) as Markdown",
    )
    reg.add_argument("--lang", choices=("nl", "en"), default="nl")
    reg.set_defaults(handler=_register)

    export = commands.add_parser(
        "export", parents=[common], help="export the rules as Cedar policies plus schema"
    )
    export.add_argument("--cedar", action="store_true", required=True, help="Cedar format")
    export.add_argument("--output", help="directory to write the files to (default: stdout)")
    export.set_defaults(handler=_export)
