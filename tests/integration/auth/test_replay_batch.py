"""The replay cache under concurrency, on a real database: many requests at once share
one INSERT per batch, yet each token id is accepted exactly once and a database
failure refuses every caller of the batch."""

from __future__ import annotations

import asyncio
import secrets
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from support import free_port

from gateway.auth.keys import jwk_thumbprint
from gateway.auth.organisation_tokens import OrganisationAuthenticator, Principal
from gateway.auth.organisations import Organisation, OrganisationRegistry, public_key
from gateway.errors import ServiceUnavailable, TokenReplayed
from gateway.storage.db import create_engine, dispose, write_runner
from gateway.storage.tables import replay_cache

AUD = "jeugd-gateway-test"
N = 40
ROLES = frozenset({"hulpverlener"})  # what the test organisations may assert


class Signer:
    """One ES256 key of the organisations under test; signs short-lived tokens."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.jwk = dict(ECAlgorithm.to_jwk(self.key.public_key(), as_dict=True))
        self.kid = jwk_thumbprint(self.jwk)
        self.jwk["kid"] = self.kid

    def token(self, *, iss: str = "org-a", jti: str | None = None) -> str:
        now = int(time.time())
        claims = {
            "iss": iss,
            "sub": "prof-1",
            "aud": AUD,
            "iat": now,
            "exp": now + 60,
            "jti": jti or secrets.token_hex(8),
            "role": "hulpverlener",
        }
        return jwt.encode(claims, self.key, algorithm="ES256", headers={"kid": self.kid})


@pytest.fixture
def signer() -> Signer:
    return Signer()


@pytest.fixture
def registry(signer: Signer) -> OrganisationRegistry:
    keys = {signer.kid: public_key(signer.jwk, "test")}
    return OrganisationRegistry(
        [
            Organisation("org-a", "wijkteam", "Org A", "utrecht", keys, roles=ROLES),
            Organisation("org-b", "wijkteam", "Org B", "utrecht", keys, roles=ROLES),
        ]
    )


@pytest.fixture
def auth(registry: OrganisationRegistry, engine: AsyncEngine) -> OrganisationAuthenticator:
    return OrganisationAuthenticator(registry, engine, audience=AUD)


async def authenticate_all(
    auth: OrganisationAuthenticator, tokens: list[str]
) -> list[Principal | BaseException]:
    return await asyncio.gather(
        *(auth.authenticate(f"Bearer {token}") for token in tokens), return_exceptions=True
    )


async def stored(engine: AsyncEngine) -> set[tuple[str, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(replay_cache.c.issuer, replay_cache.c.jti))
        return {(row.issuer, row.jti) for row in rows}


async def test_many_fresh_tokens_at_once_all_pass_in_few_transactions(
    auth: OrganisationAuthenticator,
    signer: Signer,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Group commit at work: N callers, far fewer than N transactions, all accepted."""
    begins: list[int] = []
    runner = write_runner(engine)
    # Every write transaction goes through the engine's WriteRunner (SQLAlchemy on
    # SQLite, the asyncpg driver on PostgreSQL): count what it is asked to run.
    original = runner.run

    async def counted(transaction: Any, **kwargs: Any) -> Any:
        begins.append(1)
        return await original(transaction, **kwargs)

    monkeypatch.setattr(runner, "run", counted)
    tokens = [signer.token(jti=f"fresh-{n}") for n in range(N)]
    outcomes = await authenticate_all(auth, tokens)
    assert all(isinstance(o, Principal) for o in outcomes), outcomes
    assert [o.jti for o in outcomes if isinstance(o, Principal)] == [f"fresh-{n}" for n in range(N)]
    assert 1 <= len(begins) <= 3, f"{len(begins)} transactions for {N} callers"
    assert await stored(engine) == {("org-a", f"fresh-{n}") for n in range(N)}


async def test_one_token_sent_many_times_at_once_passes_exactly_once(
    auth: OrganisationAuthenticator, signer: Signer, engine: AsyncEngine
) -> None:
    """A jti twice in one batch counts for its first caller only."""
    token = signer.token()
    outcomes = await authenticate_all(auth, [token] * N)
    assert isinstance(outcomes[0], Principal)  # the first caller, not an arbitrary one
    assert sum(isinstance(o, Principal) for o in outcomes) == 1
    assert all(type(o) is TokenReplayed for o in outcomes[1:]), outcomes
    assert len(await stored(engine)) == 1


async def test_mixed_batch_each_caller_gets_its_own_verdict(
    auth: OrganisationAuthenticator, signer: Signer, engine: AsyncEngine
) -> None:
    """Fresh, repeated, already stored, and the same jti from another issuer, all in one
    gather: verdicts are matched to the right callers."""
    old = signer.token(jti="old")
    await auth.authenticate(f"Bearer {old}")
    tokens = [
        signer.token(jti="new-1"),  # fresh
        old,  # stored by an earlier batch
        signer.token(jti="twice"),  # first of a pair: passes
        signer.token(jti="new-2"),  # fresh
        signer.token(jti="twice"),  # second of the pair: refused
        signer.token(iss="org-b", jti="old"),  # same jti, other issuer: its own id
    ]
    outcomes = await authenticate_all(auth, tokens)
    verdicts = [
        (o.organisation.id, o.jti) if isinstance(o, Principal) else type(o).__name__
        for o in outcomes
    ]
    assert verdicts == [
        ("org-a", "new-1"),
        "TokenReplayed",
        ("org-a", "twice"),
        ("org-a", "new-2"),
        "TokenReplayed",
        ("org-b", "old"),
    ]
    assert await stored(engine) == {
        ("org-a", "old"),
        ("org-a", "new-1"),
        ("org-a", "twice"),
        ("org-a", "new-2"),
        ("org-b", "old"),
    }


async def test_a_token_stored_by_an_earlier_batch_is_refused_by_every_later_caller(
    auth: OrganisationAuthenticator, signer: Signer
) -> None:
    tokens = [signer.token() for _ in range(5)]
    first = await authenticate_all(auth, tokens)
    assert all(isinstance(o, Principal) for o in first), first
    again = await authenticate_all(auth, tokens * 3)
    assert all(type(o) is TokenReplayed for o in again), again


async def test_replay_table_gone_refuses_every_caller(
    auth: OrganisationAuthenticator, signer: Signer, engine: AsyncEngine
) -> None:
    """The statement fails (the table was dropped): fail closed for all, none passes."""
    async with engine.begin() as conn:
        await conn.execute(text("DROP TABLE replay_cache"))
    outcomes = await authenticate_all(auth, [signer.token() for _ in range(N)])
    assert all(type(o) is ServiceUnavailable for o in outcomes), outcomes
    assert all(o.code == "service_unavailable" for o in outcomes if isinstance(o, Exception))


async def test_unreachable_database_refuses_every_caller(
    registry: OrganisationRegistry, signer: Signer, database_url: str, tmp_path: Path
) -> None:
    """No connection at all (no such file directory / nothing listening): every caller
    of the batch gets 503, none is let in, and the next batch fails the same way."""
    if database_url.startswith("sqlite"):
        url = f"sqlite+aiosqlite:///{tmp_path / 'missing-dir' / 'gateway.db'}"
    else:
        url = f"postgresql+asyncpg://127.0.0.1:{free_port()}/nowhere"
    engine = create_engine(url)
    try:
        auth = OrganisationAuthenticator(registry, engine, audience=AUD)
        for _ in range(2):
            outcomes = await authenticate_all(auth, [signer.token() for _ in range(N)])
            assert all(type(o) is ServiceUnavailable for o in outcomes), outcomes
    finally:
        await dispose(engine)


async def test_one_failing_row_fails_its_whole_batch_and_burns_no_token(
    auth: OrganisationAuthenticator, signer: Signer, engine: AsyncEngine
) -> None:
    """A batch is one transaction: one row the database refuses (a trigger here) fails
    every caller of the batch, and the others' token ids are not left behind as used,
    so the same tokens pass once the database accepts writes again."""
    await _poison(engine, install=True)
    good = [signer.token(jti=f"good-{n}") for n in range(5)]
    failed = await authenticate_all(auth, [*good[:2], signer.token(jti="poison"), *good[2:]])
    assert all(type(o) is ServiceUnavailable for o in failed), failed
    assert await stored(engine) == set()
    await _poison(engine, install=False)
    passed = await authenticate_all(auth, good)
    assert all(isinstance(o, Principal) for o in passed), passed
    assert await stored(engine) == {("org-a", f"good-{n}") for n in range(5)}


async def _poison(engine: AsyncEngine, *, install: bool) -> None:
    """A trigger that makes the database refuse the row with jti 'poison'."""
    if engine.dialect.name == "sqlite":
        statements = (
            [
                "CREATE TRIGGER poison BEFORE INSERT ON replay_cache "
                "WHEN NEW.jti = 'poison' BEGIN SELECT RAISE(ABORT, 'poison'); END"
            ]
            if install
            else ["DROP TRIGGER poison"]
        )
    else:
        statements = (
            [
                "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF NEW.jti = 'poison' THEN RAISE EXCEPTION 'poison'; END IF; RETURN NEW; END $$",
                "CREATE TRIGGER poison BEFORE INSERT ON replay_cache "
                "FOR EACH ROW EXECUTE FUNCTION poison()",
            ]
            if install
            else ["DROP TRIGGER poison ON replay_cache"]
        )
    async with engine.begin() as conn:
        for statement in statements:
            await conn.execute(text(statement))


async def test_many_concurrent_calls_against_a_second_instance(
    registry: OrganisationRegistry, signer: Signer, engine: AsyncEngine, database_url: str
) -> None:
    """Two gateway instances, same tokens, concurrently: each token passes once overall."""
    other_engine = create_engine(database_url)
    try:
        auth_a = OrganisationAuthenticator(registry, engine, audience=AUD)
        auth_b = OrganisationAuthenticator(registry, other_engine, audience=AUD)
        tokens = [signer.token(jti=secrets.token_hex(8)) for _ in range(20)]
        outcomes = await asyncio.gather(
            *(a.authenticate(f"Bearer {t}") for t in tokens for a in (auth_a, auth_b)),
            return_exceptions=True,
        )
        for index in range(len(tokens)):
            pair = outcomes[2 * index : 2 * index + 2]
            assert sorted(type(o).__name__ for o in pair) == ["Principal", "TokenReplayed"], pair
    finally:
        await dispose(other_engine)
