"""Fixtures of the household and consent integration tests (shared: `login_support`)."""

from __future__ import annotations

from login_support import household

__all__ = ["household"]
