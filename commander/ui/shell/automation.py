"""What the window runs by itself while it is open: the workflow engine (app/automation.py) and the chat
feed that brings an incident channel's messages onto the timeline (app/chat.py), the same code
`commander watch` runs with no window.

Each works on threads of its own, so each gets a console of its own on the same store (a console belongs to
one thread: its incident views are kept current in place). What they write reaches the window the way a
`commander note` from a terminal does: the bridge's catch-up finds it within a second; what the window
writes reaches them within half a second (the engine's and the feed's own catch-up).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from commander.app.console import Console

if TYPE_CHECKING:
    from commander.app.automation import Engine
    from commander.app.chat import ChatFeed

_log = logging.getLogger(__name__)
TICK_EVERY = 5  # window ticks (seconds) between engine ticks: timers, role.unfilled, deferred runs
LOOK_EVERY = 30  # window ticks between looks for a first workflow rule or chat connection
# What makes the engine and the feed worth running: with no rule and no chat connection they would only wait.
SETTINGS = ("settings:workflows", "settings:chat")
ACKS_EVERY = 30.0  # seconds between reads of PagerDuty's acknowledgements (one request per open page)


class Automation:
    def __init__(self, console: Console) -> None:
        self.window_console = console
        self.consoles: list[Console] = []
        self.engine: Engine | None = None
        self.feed: ChatFeed | None = None
        self.stopped = False

    @property
    def console(self) -> Console | None:
        """The engine's console, once started."""
        return self.consoles[0] if self.consoles else None

    def start(self) -> None:
        """Start the engine and the chat feed, each on a console of its own, once the team has a workflow
        rule or a chat connection. Runs from a timer: whatever fails is logged, and the window goes on
        without them (a window closed meanwhile, a store that went away)."""
        if self.stopped or self.consoles:
            return
        try:
            if not any(self.window_console.reads.stream(stream) for stream in SETTINGS):
                return
            self._start()
        except Exception:
            _log.exception("workflows and chat could not start; the window works without them")
            self.stop()

    def _start(self) -> None:
        from commander.app.automation import Engine
        from commander.app.bootstrap import build_console
        from commander.app.chat import ChatFeed

        source = self.window_console
        for _ in range(2):
            self.consoles.append(
                build_console(source.database.url, user=source.me.name, policy=source.policy, services=source.services)
            )
        self.engine = Engine(self.consoles[0], duties=[_Every(ACKS_EVERY, _read_acknowledgements)])
        self.engine.start()
        self.feed = ChatFeed(self.consoles[1])
        self.feed.start()

    def tick(self, ticks: int) -> None:
        if self.engine is not None and ticks % TICK_EVERY == 0:
            self.engine.tick()
        elif not self.consoles and ticks % LOOK_EVERY == 0:
            self.start()

    def stop(self) -> None:
        self.stopped = True
        if self.feed is not None:
            self.feed.stop(timeout=2.0)
        if self.engine is not None:
            self.engine.stop(timeout=2.0)
        for console in self.consoles:
            console.close()
        self.consoles, self.engine, self.feed = [], None, None


class _Every:
    """Run `work` at most once every `seconds` (the engine ticks every few seconds)."""

    def __init__(self, seconds: float, work: Callable[[Console], object]) -> None:
        self.seconds, self.work, self.last = seconds, work, float("-inf")

    def __call__(self, console: Console) -> None:
        now = time.monotonic()
        if now - self.last >= self.seconds:
            self.last = now
            self.work(console)


def _read_acknowledgements(console: Console) -> None:
    """A page acknowledged in PagerDuty's own app: recorded, and its escalation stops (app/paging.py)."""
    from commander.app import paging

    problems: dict[str, str] = {}
    found = paging.poll_acknowledgements(console, problems=problems)
    if found:
        _log.info("PagerDuty: %d acknowledgement(s) read back", found)
    for page, problem in problems.items():
        _log.warning("PagerDuty: could not read page %s: %s", page[:8], problem)
