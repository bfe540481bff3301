"""Shared stores for replication tests: a shared SQLite file, and a fresh PostgreSQL database per test.

On a machine without PostgreSQL the PostgreSQL cases skip with the reason; in CI (CI=true) they fail
instead, so a missing server cannot pass unnoticed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from commander.app.bootstrap import build_console
from commander.app.console import Console
from commander.app.setup import remote as remotes
from commander.integrations.secrets import SecretStore
from commander.store.database import Database
from commander.sync.replicator import Replicator
from tests.helpers.keyring_memory import MemoryKeyring
from tests.helpers.pg import postgres_database


@pytest.fixture
def secrets(memory_keyring: MemoryKeyring) -> SecretStore:
    return SecretStore(memory_keyring)


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
