"""What the window runs by itself while it is open: the workflow engine (app/automation.py) and the chat
feed that brings an incident channel's messages onto the timeline (app/chat.py), the same code
`commander watch` runs with no window.

Both work on threads of their own, so they get a console of their own on the same store (a console belongs
to one thread: its incident views are kept current in place). What they write reaches the window the way a
`commander note` from a terminal does: the bridge's catch-up finds it within a second; what the window
writes reaches them on the engine's next tick.
"""

from __future__ import annotations

import logging

from commander.app.console import Console

_log = logging.getLogger(__name__)
TICK_EVERY = 5  # window ticks (seconds) between engine ticks: timers, role.unfilled, deferred runs
LOOK_EVERY = 30  # window ticks between looks for a first workflow rule or chat connection
# What makes the engine and the feed worth running: with no rule and no chat connection they would only wait.
SETTINGS = ("settings:workflows", "settings:chat")


class Automation:
    def __init__(self, console: Console) -> None:
        self.window_console = console
        self.console: Console | None = None
        self.engine: object | None = None
        self.feed: object | None = None

    def start(self) -> None:
        """Build the second console and start the engine and the chat feed, once the team has a workflow
        rule or a chat connection; a failure is logged, and the window goes on without them."""
        if self.console is not None or not any(self.window_console.reads.stream(s) for s in SETTINGS):
            return
        from commander.app.automation import Engine
        from commander.app.bootstrap import build_console
        from commander.app.chat import ChatFeed

        source = self.window_console
        try:
            self.console = build_console(
                source.database.url, user=source.me.name, policy=source.policy, services=source.services
            )
            engine = Engine(self.console)
            engine.start()
            self.engine = engine
            feed = ChatFeed(self.console)
            feed.start()
            self.feed = feed
        except Exception:  # the window must open whatever happens here: say it in the log
            _log.exception("workflows and chat could not start; the window works without them")

    def tick(self, ticks: int) -> None:
        from commander.app.automation import Engine

        if isinstance(self.engine, Engine) and ticks % TICK_EVERY == 0:
            self.engine.tick()
        elif self.console is None and ticks % LOOK_EVERY == 0:
            self.start()

    def stop(self) -> None:
        from commander.app.automation import Engine
        from commander.app.chat import ChatFeed

        if isinstance(self.feed, ChatFeed):
            self.feed.stop(timeout=2.0)
        if isinstance(self.engine, Engine):
            self.engine.stop(timeout=2.0)
        if self.console is not None:
            self.console.close()
            self.console = None
