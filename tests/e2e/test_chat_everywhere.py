"""A message and a pin in the incident's (fake) Slack channel appear on the timeline of every console within
2 s: two consoles on one PostgreSQL, each with the window's chat feed and replicator. Slack hands each
Socket Mode event to one open connection only, so one console hears it and the shared store brings it to
the other; both hearing it would make the same event (its id comes from the message).

Each console is wired as `commander watch` wires it (app/watch.py `_appended`; the window's SyncBridge does
the same): the replicator is nudged when the console writes an event of its own. Without that nudge the
hearing console's event waits in its outbox until the replicator's LISTEN wait times out (5 s on
PostgreSQL, sync/replicator.py PRESENCE_SECONDS), and the other console sees it only then."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from commander.app import chat, incident
from commander.app.bootstrap import build_console
from commander.app.console import Console
from commander.app.setup import remote as remotes
from commander.domain.chat import heard
from commander.domain.core.events import Event
from commander.domain.incident.decisions import Declaration
from commander.integrations.secrets import SecretStore
from commander.sync.replicator import Replicator
from tests.helpers.slack_fake import slack_fake
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.postgres
WITHIN = 2.0  # seconds: the figure


def _remote(console: Console) -> remotes.Remote:
    remote = remotes.configured(console)
    assert remote is not None
    return remote


def _nudged_by_own_writes(console: Console, replicator: Replicator) -> Callable[[], None]:
    """Push what this console writes at once, as the window and `commander watch` do. Returns the unsubscribe."""

    def appended(events: list[Event]) -> None:
        if any(e.origin == console.console_id for e in events):
            replicator.nudge()

    return console.subscribe(appended)


def _chat(console: Console, incident_id: str, lock: threading.RLock) -> list[tuple[str, bool]]:
    with lock:
        console.catch_up()
        return [(e.text, e.pinned) for e in console.view(incident_id).entries if e.category == "chat"]


def _everywhere(
    consoles: list[Console], locks: list[threading.RLock], incident_id: str, wanted: list[tuple[str, bool]]
) -> bool:
    """Whether every console's timeline shows `wanted` now (each checked in the same poll)."""
    return all(_chat(c, incident_id, lock) == wanted for c, lock in zip(consoles, locks, strict=True))


def test_a_message_and_a_pin_reach_every_console_within_two_seconds(shared: str, tmp_path: Path) -> None:
    secrets = SecretStore()
    with slack_fake() as slack:
        sam = slack.add_user("sam@example.com", display_name="Sam")
        channel = slack.add_channel("inc-checkout")
        consoles = [build_console(str(tmp_path / f"{name}.db"), user=name) for name in ("alex", "kim")]
        locks = [threading.RLock() for _ in consoles]
        for console in consoles:
            remotes.set_remote(console, shared, secrets, poll_seconds=0.2)
        first = consoles[0]
        chat.add(first, "slack", "team-slack", dict(slack.options), slack.secret, secrets)
        state = incident.declare(first, Declaration(title="Checkout 502s", severity="SEV2"))
        first.perform(
            state.id, lambda _s: [heard.channel_created(state.id, "team-slack", "slack", channel, "inc-checkout", "")]
        )
        replicators = [remotes.replicator(c, _remote(c), secrets) for c in consoles]
        unsubscribes = [_nudged_by_own_writes(c, r) for c, r in zip(consoles, replicators, strict=True)]
        feeds = [chat.ChatFeed(c, lock=lock, refresh_seconds=0.2) for c, lock in zip(consoles, locks, strict=True)]
        for replicator in replicators:
            replicator.start()
        for feed in feeds:
            feed.start()
        try:
            wait_until(
                lambda: all(
                    _chat(c, state.id, lock) == [] and c.state(state.id).channels
                    for c, lock in zip(consoles, locks, strict=True)
                ),
                15,
            )
            wait_until(lambda: slack.connected >= 2, 15)

            said = time.monotonic()
            ts = slack.say(channel, sam, "rolled back v2.31")
            wait_until(
                lambda: _everywhere(consoles, locks, state.id, [("Sam: rolled back v2.31", False)]),
                WITHIN,
                message="the message did not reach both consoles' timelines within 2 s",
            )
            assert time.monotonic() - said < WITHIN
            pinned = time.monotonic()
            slack.pin(channel, ts, sam)
            wait_until(
                lambda: _everywhere(consoles, locks, state.id, [("Sam: rolled back v2.31", True)]),
                WITHIN,
                message="the pin did not reach both consoles' timelines within 2 s",
            )
            assert time.monotonic() - pinned < WITHIN
        finally:
            for feed in feeds:
                feed.stop()
            for replicator in replicators:
                replicator.stop()
            for unsubscribe in unsubscribes:
                unsubscribe()
            for console in consoles:
                console.close()
