"""Running workflows: the engine every console and `commander watch` runs.

(Being written by the session's lead; this is the interface other parts build on.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from commander.app.console import Console
from commander.domain.workflows.runs import ActionRun

_log = logging.getLogger(__name__)


class Engine:
    """Hears what is appended to the console (its own events and those pulled from the shared store),
    fires the rules that match, and runs their actions on a worker thread, each once across every console
    (app/claims.py). `tick()` is called every few seconds by its owner (the window's timer, the watcher's
    loop): it fires time-based rules (role.unfilled, timer) and runs network actions deferred while offline."""

    def __init__(self, console: Console, *, log: Callable[[str], None] = _log.info) -> None:
        self.console = console
        self.log = log

    def start(self) -> None: ...

    def tick(self) -> None: ...

    def stop(self, timeout: float = 5.0) -> None: ...

    def idle(self) -> bool:
        """Nothing queued, running or deferred (tests wait on it)."""
        return True


def runs(console: Console, incident_id: str) -> list[ActionRun]:
    """Each workflow action run for the incident, with its latest outcome."""
    from commander.domain.workflows.runs import fold_runs

    return fold_runs(console.view(incident_id).events)


def retry(console: Console, incident_id: str, action_id: str) -> ActionRun:
    """Run a failed action again now, as its next attempt (claimed afresh); returns the new outcome.
    Blocks on the network: call it off the UI thread."""
    raise NotImplementedError
