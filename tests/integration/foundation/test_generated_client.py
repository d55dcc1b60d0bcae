"""A client generated from the OpenAPI document has readable type names: each body's
declaration names its model (no `CreateExchangeResponse200ResultsItem`)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
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
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    process = await asyncio.create_subprocess_exec(
        *(tool, "generate", "--path", str(spec), "--output-path", str(out), "--meta", "none"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "PATH": path},  # the generator formats with ruff when it finds it
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, output.decode()
    models = {p.stem for p in (out / "models").glob("*.py")} - {"__init__"}
    assert models >= _EXPECTED, sorted(_EXPECTED - models)
    named = {_snake(name) for name in document["components"]["schemas"]}
    assert sorted(m for m in models if _MADE_UP.search(m) and m not in named) == []


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
