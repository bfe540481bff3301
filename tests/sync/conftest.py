"""Shared stores for replication tests: a shared SQLite file, and a fresh PostgreSQL database per test.

On a machine without PostgreSQL the PostgreSQL cases skip with the reason; in CI (CI=true) they fail
instead, so a missing server cannot pass unnoticed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from commander.app import remote as remotes
from commander.app.bootstrap import build_console
from commander.app.console import Console
from commander.integrations.secrets import SecretStore
from commander.store.database import Database
from commander.sync.replicator import Replicator
from tests.keyring_memory import MemoryKeyring

SERVER = os.environ.get("COMMANDER_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def secrets(memory_keyring: MemoryKeyring) -> SecretStore:
    return SecretStore(memory_keyring)


def postgres_database() -> Iterator[str]:
    admin = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    name = f"commander_sync_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as error:
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs the PostgreSQL at {SERVER}: {error.orig}")
        pytest.skip(f"no PostgreSQL at {SERVER}: {error.orig}")
    try:
        yield sa.make_url(SERVER).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from postgres_database()


@pytest.fixture(params=["sqlite", "postgres"])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A shared store, created as its administrator would (`commander db upgrade --url`)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'shared' / 'commander.db'}"
        Database(url).upgrade()
        yield url
        return
    for url in postgres_database():
        database = Database(url)
        database.upgrade()
        database.dispose()
        yield url


@pytest.fixture
def console_on(tmp_path: Path, secrets: SecretStore) -> Iterator[Callable[..., tuple[Console, Replicator]]]:
    """A console with its own local store, set to replicate with `url`."""
    made: list[tuple[Console, Replicator]] = []

    def make(name: str, url: str) -> tuple[Console, Replicator]:
        console = build_console(str(tmp_path / f"{name}.db"), user=name)
        remote, _ = remotes.set_remote(console, url, secrets)
        pair = (console, remotes.replicator(console, remote, secrets))
        made.append(pair)
        return pair

    yield make
    for console, replicator in made:
        replicator.stop()
        console.close()
