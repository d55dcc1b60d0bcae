"""Audit log tables, on `gateway.tables.metadata`."""

from __future__ import annotations

from gateway.tables import metadata

__all__ = ["metadata"]
