"""Fixtures of the bad-input tests: the standard household and a household session
(shared: `login_support`)."""

from __future__ import annotations

from login_support import household, session_headers

__all__ = ["household", "session_headers"]
