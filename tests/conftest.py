"""Test configuration shared by every layer: headless Qt, a private home, a fixed time zone."""

from __future__ import annotations

import os

# Set before anything imports Qt: the suite runs headless everywhere.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["TZ"] = os.environ.get("COMMANDER_TEST_TZ", "Europe/Berlin")

import time  # noqa: E402

import pytest  # noqa: E402

time.tzset()


@pytest.fixture(autouse=True)
def _private_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the real user data folder or the person's settings."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("COMMANDER_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "share"))
    monkeypatch.setenv("COMMANDER_USER", "Alex")
    monkeypatch.delenv("COMMANDER_DB", raising=False)
    monkeypatch.delenv("COMMANDER_POLICY", raising=False)


@pytest.fixture(autouse=True)
def memory_keyring() -> object:
    """Every test gets a fresh in-memory keyring (the OS keyring is never touched), and starts with no
    secrets kept for the session."""
    import keyring

    from commander.integrations import secrets
    from tests.helpers.keyring_memory import MemoryKeyring

    secrets._SESSION.clear()

    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def pg_url() -> object:
    """A throwaway database on the local PostgreSQL (see tests/helpers/pg.py)."""
    from tests.helpers.pg import postgres_database

    yield from postgres_database()
