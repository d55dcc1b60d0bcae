"""Alembic migrations for every package's tables (see env.py)."""
