"""Fixtures of the officer insight tests: a household and a household session (shared:
`login_support`)."""

from __future__ import annotations

import pytest
from login_support import household, session_headers
from support import clear_of_the_hour

__all__ = ["household", "session_headers"]


@pytest.fixture(autouse=True)
def _clear_of_the_hour() -> None:
    """Bursts of refusals made here are counted per clock hour: never across its turn."""
    clear_of_the_hour()
