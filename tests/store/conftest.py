"""Fixtures for the store tests: a fresh SQLite file made ready by Database.open()."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from commander.store.database import Database


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "commander.db"


@pytest.fixture
def database(db_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{db_path}")
    db.open()
    yield db
    db.dispose()
