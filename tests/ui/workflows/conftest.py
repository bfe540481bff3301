"""The window runs the team's workflows by itself once a rule exists (commander.ui.shell.automation). These
tests import rules and record runs by hand: the window's own engine stays off, so only what a test
writes is on the incident."""

from __future__ import annotations

import pytest

from commander.ui.shell.automation import Automation


@pytest.fixture(autouse=True)
def no_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Automation, "start", lambda self: None)
