"""The database: engine and write runner, tables, group commit, schema check, migrations.

Knows nothing about HTTP or callers. Imported by auth, access, exchange and audit; imports
nothing from `gateway.api`, `gateway.web` or `gateway.commands`.
"""
