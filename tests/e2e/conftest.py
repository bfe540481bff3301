"""Fixtures the end-to-end tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from commander.store.database import Database
from tests.helpers.pg import postgres_database


@pytest.fixture
def shared() -> Iterator[str]:
    """The URL of a fresh PostgreSQL shared store, created as its administrator would (`commander db upgrade
    --url`); skipped without a server (failed in CI, see tests/helpers/pg.py)."""
    for url in postgres_database():
        database = Database(url)
        database.upgrade()
        database.dispose()
        yield url
