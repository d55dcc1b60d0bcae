"""A client generated from the OpenAPI document has readable type names: each body's
declaration names its model (no `CreateExchangeResponse200ResultsItem`)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

Client = TestClient[web.Request, web.Application]

#: The names a generator makes up when a schema has none.
_MADE_UP = re.compile(r"response_?\d{3}|_item$|_body$|_type_\d|_items?_")
_EXPECTED = {
    "exchange_request",
    "exchange_response",
    "exchange_item",
    "household",
    "household_registration",
    "consent",
    "consent_receipt",
    "case",
    "audit_entry",
    "verify_report",
    "problem",
    "purpose",
    "category",
    "organisation",
    "role",
    "reason",
    "decision",
}


def _generator() -> str | None:
    beside = Path(sys.executable).with_name("openapi-python-client")
    return str(beside) if beside.exists() else shutil.which("openapi-python-client")


@pytest.mark.slow
async def test_a_generated_client_has_readable_model_names(client: Client, tmp_path: Path) -> None:
    tool = _generator()
    if tool is None:
        pytest.skip("openapi-python-client is not installed (it is in the dev extra)")
    document = await (await client.get("/api/v1/openapi.json")).json()
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(document))
    out = tmp_path / "client"
    done = subprocess.run(
        [tool, "generate", "--path", str(spec), "--output-path", str(out), "--meta", "none"],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        },
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    models = {p.stem for p in (out / "models").glob("*.py")} - {"__init__"}
    assert _EXPECTED <= models, sorted(_EXPECTED - models)
    named = {_snake(name) for name in document["components"]["schemas"]}
    assert sorted(m for m in models if _MADE_UP.search(m) and m not in named) == []


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
