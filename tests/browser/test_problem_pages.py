"""The page every problem's `type` points to, in a real browser: axe-core finds no serious
or critical violation, the page works without JavaScript, and it is photographed."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import LivePortal

pytestmark = pytest.mark.browser

BLOCKING = ("serious", "critical")


def _axe_script() -> Path:
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("axe-playwright-python (which ships axe-core) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "axe.min.js"


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    # axe is injected as a script, which the page's CSP forbids: this context bypasses it.
    ctx = browser.new_context(bypass_csp=True, viewport={"width": 1024, "height": 800})
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.mark.parametrize("code", ["unknown_purpose", "role_not_allowed", "audit_unavailable"])
def test_a_problem_page_passes_axe(
    context: Any, portal: LivePortal, screenshots: Path, code: str
) -> None:
    page = context.new_page()
    page.goto(f"{portal.url}/problems/{code}")
    assert page.locator("h1").count() == 1
    assert page.locator("[lang=en]").count() >= 1
    page.add_script_tag(path=str(_axe_script()))
    result = page.evaluate("async () => await axe.run(document)")
    blocking = [v for v in result["violations"] if v["impact"] in BLOCKING]
    assert not blocking, [f"{v['id']}: {v['help']}" for v in blocking]
    if code == "unknown_purpose":
        page.screenshot(path=str(screenshots / "probleem-unknown-purpose.png"), full_page=True)


def test_a_problem_page_works_without_javascript(browser: Any, portal: LivePortal) -> None:
    ctx = browser.new_context(java_script_enabled=False)
    try:
        page = ctx.new_page()
        response = page.goto(f"{portal.url}/problems/token_replayed")
        assert response is not None and response.status == 200
        assert "jti" in page.inner_text("main")
    finally:
        ctx.close()
