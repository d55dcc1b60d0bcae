"""The gateway's own tables (SQLAlchemy Core). Storage modules use these; domain code never does.

Other packages own theirs (`consent.tables`); Alembic's env.py collects every
package's metadata. The audit log's tables live in `gateway.audit.tables` on
this same `metadata`.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, String, Table

__all__ = [
    "NAMING_CONVENTION",
    "household_sessions",
    "login_states",
    "metadata",
    "officer_sessions",
    "portal_visits",
    "replay_cache",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# Seen token ids (`jti`) per issuer, kept until the token would have expired anyway.
# Shared by every gateway instance, so a replay is refused whichever one it reaches.
replay_cache = Table(
    "replay_cache",
    metadata,
    Column("issuer", String(128), primary_key=True),
    Column("jti", String(128), primary_key=True),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

# Household portal sessions: only a SHA-256 hash of the random token is stored, so a
# copy of the database cannot be used to log in. Shared by every gateway instance.
household_sessions = Table(
    "household_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("person", String(64), nullable=False, index=True),
    Column("household_id", String(40), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),  # absolute
    Column("last_seen_at", DateTime(timezone=True), nullable=False),  # idle timeout from here
    # The member's BSN (from the login), AES-GCM under a key derived from the token
    # itself: without the cookie nobody, not even a database administrator, reads it.
    Column("bsn_sealed", String(128), nullable=True),
)

# An OIDC login in progress: what the callback must match, keyed by the SHA-256 hash of
# the random id in the browser's login cookie. Single-use (deleted when the callback
# reads it) and short-lived, shared by every instance (the callback may reach another).
login_states = Table(
    "login_states",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("state", String(128), nullable=False),
    Column("nonce", String(128), nullable=False),
    Column("code_verifier", String(128), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

# When each household member last opened their access log ("new since your last visit"):
# entries newer than `previous_visit_at` are new to them. Pseudonyms only.
portal_visits = Table(
    "portal_visits",
    metadata,
    Column("person", String(64), primary_key=True),
    Column("previous_visit_at", DateTime(timezone=True), nullable=True),
    Column("last_visit_at", DateTime(timezone=True), nullable=False),
)

# A privacy officer's console session (`gateway.auth.officer_sessions`): never in
# `household_sessions`, so neither kind of session can stand for the other. The
# officer's configured identity, organisation and role, as the login checked them.
officer_sessions = Table(
    "officer_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("officer_id", String(200), nullable=False),
    Column("organisation", String(100), nullable=False),
    Column("role", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
)
