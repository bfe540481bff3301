"""Fixtures for the use-case tests: consoles built by the real composition root on a temp SQLite file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from commander.app import incident
from commander.app.bootstrap import build_console
from commander.app.console import Console
from commander.domain.core.events import Event
from commander.domain.incident.decisions import Declaration


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    return tmp_path / "shared" / "commander.db"


@pytest.fixture
def open_console(store_file: Path) -> Iterator[Callable[..., Console]]:
    """Build consoles on the test's store file; every one is closed at the end."""
    built: list[Console] = []

    def make(**kwargs: object) -> Console:
        console = build_console(str(store_file), **kwargs)  # type: ignore[arg-type]
        built.append(console)
        return console

    yield make
    for console in built:
        console.close()


@pytest.fixture
def console(open_console: Callable[..., Console]) -> Console:
    return open_console()


@pytest.fixture
def incident_id(console: Console) -> str:
    return incident.declare(
        console, Declaration(title="Checkout API returning 502s", severity="SEV2", services=("checkout",))
    ).id


class Heard:
    """A listener that keeps every call it gets."""

    def __init__(self) -> None:
        self.calls: list[list[Event]] = []

    def __call__(self, events: list[Event]) -> None:
        self.calls.append(list(events))

    @property
    def events(self) -> list[Event]:
        return [event for call in self.calls for event in call]


@pytest.fixture
def heard(console: Console) -> Heard:
    listener = Heard()
    console.subscribe(listener)
    return listener
