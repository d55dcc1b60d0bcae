"""Source-system adapters: one port, HTTP and SQL implementations, field mapping.

Imports nothing from `gateway`, `policies` or `consent`; the gateway wires it.
"""

from adapters.base import CategoryRecords, FetchRequest, SourceAdapter
from adapters.errors import AdapterConfigError, AdapterError, MappingError, SourceUnavailable
from adapters.http import HttpSourceAdapter
from adapters.mapping import CATEGORIES, FieldMapping, load_mapping
from adapters.registry import build_adapter, close_adapters, fetch_all
from adapters.sql import SqlSourceAdapter

__all__ = [
    "CATEGORIES",
    "AdapterConfigError",
    "AdapterError",
    "CategoryRecords",
    "FetchRequest",
    "FieldMapping",
    "HttpSourceAdapter",
    "MappingError",
    "SourceAdapter",
    "SourceUnavailable",
    "SqlSourceAdapter",
    "build_adapter",
    "close_adapters",
    "fetch_all",
    "load_mapping",
]
