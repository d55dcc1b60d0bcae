"""Fixtures of the portal's page tests: the standard household (shared: `login_support`)."""

from __future__ import annotations

from login_support import household

__all__ = ["household"]
