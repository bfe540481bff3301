"""When the next stakeholder update is due, and the team's own timers ("check the rollback in 10
minutes"): recording, snoozing, cancelling, and noting on the timeline what ran out (once, across every
console)."""

from __future__ import annotations

from datetime import datetime

from commander.app.console import Console
from commander.domain.core.events import Event
from commander.domain.updates import timers


def next_update(console: Console, incident_id: str) -> timers.UpdateDue:
    return timers.next_update(console.state(incident_id), console.policy, console.now())


def record_update(
    console: Console, incident_id: str, audience: str, summary: str = "", at: datetime | None = None
) -> list[Event]:
    return console.perform(incident_id, lambda s: timers.record_update(s, audience, summary, now=console.now(), at=at))


def snooze_updates(console: Console, incident_id: str, minutes: int, reason: str) -> list[Event]:
    return console.perform(incident_id, lambda s: timers.snooze(s, console.policy, minutes, reason, now=console.now()))


def note_overdue(console: Console, incident_id: str) -> list[Event]:
    """Put an overdue update on the timeline (once, across every console)."""
    return console.perform(incident_id, lambda s: timers.record_overdue(s, console.policy, now=console.now()))


def set_timer(
    console: Console, incident_id: str, label: str, minutes: float | None = None, *, due: datetime | None = None
) -> list[Event]:
    """A custom timer; its id is the returned event's."""
    return console.perform(
        incident_id, lambda s: timers.set_timer(s, label, minutes=minutes, due=due, now=console.now())
    )


def cancel_timer(console: Console, incident_id: str, timer_id: str) -> list[Event]:
    """Cancel a running timer or dismiss an expired one; `timer_id` may be an unambiguous prefix."""
    return console.perform(incident_id, lambda s: timers.cancel_timer(s, timer_id))


def snooze_timer(console: Console, incident_id: str, timer_id: str, minutes: int = 5) -> list[Event]:
    return console.perform(incident_id, lambda s: timers.snooze_timer(s, timer_id, minutes, now=console.now()))


def note_expired_timers(console: Console, incident_id: str) -> list[Event]:
    """Put every timer past its due time on the timeline (once, across every console)."""
    return console.perform(incident_id, lambda s: timers.record_expired(s, now=console.now()))
