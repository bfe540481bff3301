"""When the next stakeholder update is due, derived from the incident's events alone, so every console
shows the same countdown and it survives restarts.

The rule, from common practice and the policy:
- the first update is due FIRST_UPDATE after the incident is declared;
- after an update is sent, the next is due one cadence later (the cadence of the severity then);
- a change of severity takes effect from that moment: the next update is due no later than one new
  cadence after the change (raising the severity brings it forward; lowering it never pushes an
  update that was already due later than that);
- after LONG_INCIDENT the cadence is multiplied by the policy's long-incident factor;
- a snooze moves the due time to its end, until the next update is sent;
- a severity with no cadence (SEV4), and a resolved or closed incident, have no update due.

Custom timers ("check the rollback in 10 minutes") live here too: set, cancelled, snoozed, and their
expiry recorded once whichever console notices it first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from commander.domain.core.errors import DomainError
from commander.domain.core.events import EventDraft, incident_stream
from commander.domain.core.policy import Policy
from commander.domain.core.text import SUMMARY_MAX, clean_line, clean_multiline
from commander.domain.core.when import iso
from commander.domain.incident.state import CustomTimer, IncidentState, Status

FIRST_UPDATE = timedelta(minutes=5)
LONG_INCIDENT = timedelta(hours=2)
_OVERDUE_NAMESPACE = uuid.UUID("6f1c3b0e-2f7d-4d7e-9a55-1c0de0000001")
_EXPIRED_NAMESPACE = uuid.UUID("6f1c3b0e-2f7d-4d7e-9a55-1c0de0000002")
TIMER_SHORTEST = timedelta(minutes=1)
TIMER_LONGEST = timedelta(hours=24)
TIMER_LABEL_MAX = 120
_SLACK = timedelta(seconds=5)  # a due time computed a moment ago (a snooze, a typed time) may be a hair off


@dataclass(frozen=True)
class UpdateDue:
    due: datetime | None  # None: no periodic update is expected
    cadence: timedelta | None
    snoozed: bool = False

    def remaining(self, now: datetime) -> timedelta | None:
        return None if self.due is None else self.due - now

    def overdue(self, now: datetime) -> bool:
        return self.due is not None and now > self.due


def cadence(policy: Policy, severity: str, *, long_running: bool) -> timedelta | None:
    level = policy.find_severity(severity)
    if level is None or level.update_every_minutes <= 0:
        return None
    minutes = level.update_every_minutes * (policy.long_incident_factor if long_running else 1)
    return timedelta(minutes=minutes)


def next_update(state: IncidentState, policy: Policy, now: datetime) -> UpdateDue:
    declared = state.milestones.get("declared")
    if not state.declared or not state.is_open or declared is None:
        return UpdateDue(None, None)
    long_running = now - (state.started_at() or declared) >= LONG_INCIDENT
    current = cadence(policy, state.severity, long_running=long_running)
    if current is None:
        return UpdateDue(None, None)
    last_sent = max(state.updates_sent) if state.updates_sent else None
    if last_sent is None:
        due = declared + FIRST_UPDATE
        anchor = declared
    else:
        sent_severity = _severity_at(state, last_sent)
        due = last_sent + (cadence(policy, sent_severity, long_running=long_running) or current)
        anchor = last_sent
    for severity, since in state.severity_history:
        if since > anchor:  # a change since the last update: the new cadence counts from the change
            changed = cadence(policy, severity, long_running=long_running)
            if changed is not None:
                due = min(due, since + changed)
    snoozed = state.snoozed_until is not None and state.snoozed_until > due
    if snoozed:
        due = state.snoozed_until  # type: ignore[assignment]
    return UpdateDue(due, current, snoozed)


def _severity_at(state: IncidentState, moment: datetime) -> str:
    severity = state.severity
    for level, since in sorted(state.severity_history, key=lambda item: item[1]):
        if since <= moment:
            severity = level
    return severity


# -- decisions -----------------------------------------------------------------------------------------


def record_update(
    state: IncidentState, audience: str, summary: str = "", *, now: datetime, at: datetime | None = None
) -> list[EventDraft]:
    """An update went out (posted by hand, or by a destination): the countdown starts again."""
    if not state.declared:
        raise DomainError(f"No incident {state.reference} has been declared.")
    who = clean_line(audience, field="audience", limit=120)
    text = clean_multiline(summary, field="summary", limit=SUMMARY_MAX, required=False)
    if at is not None and at > now + timedelta(seconds=5):
        raise DomainError("The update's time is in the future. Give a time that has passed.")
    return [EventDraft(incident_stream(state.id), "update.sent", {"audience": who, "summary": text}, at)]


def snooze(state: IncidentState, policy: Policy, minutes: int, reason: str, *, now: datetime) -> list[EventDraft]:
    due = next_update(state, policy, now)
    if due.due is None:
        raise DomainError(f"No update is due on {state.reference}, so there is nothing to snooze.")
    if not 1 <= minutes <= 240:
        raise DomainError("Snooze for 1 to 240 minutes.")
    why = clean_line(reason, field="reason for snoozing", limit=200)
    until = max(due.due, now) + timedelta(minutes=minutes)
    return [EventDraft(incident_stream(state.id), "update.snoozed", {"until": iso(until), "reason": why})]


def record_overdue(state: IncidentState, policy: Policy, *, now: datetime) -> list[EventDraft]:
    """The timeline notes an overdue update once, whichever console notices: the event's id comes from
    the incident and the due time, so every console writes the same event and the store keeps one."""
    due = next_update(state, policy, now)
    if due.due is None or not due.overdue(now):
        return []
    event_id = str(uuid.uuid5(_OVERDUE_NAMESPACE, f"{state.id}:{iso(due.due)}"))
    return [EventDraft(incident_stream(state.id), "update.overdue", {"due": iso(due.due)}, due.due, id=event_id)]


# -- custom timers -------------------------------------------------------------------------------------


def set_timer(
    state: IncidentState, label: str, *, minutes: float | None = None, due: datetime | None = None, now: datetime
) -> list[EventDraft]:
    """A timer due `minutes` from now, or at `due`: 1 minute to 24 hours ahead. Its id is the event's."""
    if not state.declared:
        raise DomainError(f"No incident {state.reference} has been declared.")
    if state.status is Status.CLOSED:
        raise DomainError(f"{state.reference} is closed, so it takes no timers. Reopen it first.")
    text = clean_line(label, field="timer's label", limit=TIMER_LABEL_MAX)
    if minutes is not None and due is None:
        when, slack = now + timedelta(minutes=minutes), timedelta(0)
    elif due is not None and minutes is None:
        when, slack = due, _SLACK
    else:
        raise DomainError("Give the timer either a number of minutes or a due time.")
    if not TIMER_SHORTEST - slack <= when - now <= TIMER_LONGEST + slack:
        raise DomainError("A timer runs for 1 minute to 24 hours. Choose a time in that range.")
    return [EventDraft(incident_stream(state.id), "timer.set", {"label": text, "due": iso(when)})]


def find_timer(state: IncidentState, wanted: str) -> CustomTimer:
    """A timer by its id or any unambiguous start of it (the command line shows short ids)."""
    prefix = wanted.strip().lower()
    found = [t for t in state.timers.values() if t.id.startswith(prefix)] if prefix else []
    exact = [t for t in found if t.id == prefix]
    if exact:
        return exact[0]
    if not found:
        raise DomainError(
            f"{state.reference} has no timer '{wanted}'. `commander timer list {state.reference}` shows them."
        )
    if len(found) > 1:
        raise DomainError(f"'{wanted}' matches {len(found)} timers on {state.reference}. Type more of the id.")
    return found[0]


def cancel_timer(state: IncidentState, timer_id: str) -> list[EventDraft]:
    """Cancel a running timer, or dismiss an expired one (it leaves every console's screen)."""
    timer = find_timer(state, timer_id)
    if timer.cancelled_by is not None:
        done = "dismissed" if timer.dismissed else "cancelled"
        raise DomainError(f"The timer “{timer.label}” was already {done} by {timer.cancelled_by}.")
    return [EventDraft(incident_stream(state.id), "timer.cancelled", {"timer": timer.id})]


def snooze_timer(state: IncidentState, timer_id: str, minutes: int, *, now: datetime) -> list[EventDraft]:
    """Push a timer back: it is cancelled (or dismissed) and set again with the same label, `minutes`
    after its due time, or after now when it has expired already. Both halves are on the timeline."""
    timer = find_timer(state, timer_id)
    ended = cancel_timer(state, timer.id)
    return ended + set_timer(state, timer.label, due=max(timer.due, now) + timedelta(minutes=minutes), now=now)


def record_expired(state: IncidentState, *, now: datetime) -> list[EventDraft]:
    """Every running timer past its due time, expired once whichever console notices: the event's id
    comes from the timer's, so every console writes the same event and the store keeps one."""
    return [
        EventDraft(
            incident_stream(state.id),
            "timer.expired",
            {"timer": timer.id},
            timer.due,
            id=str(uuid.uuid5(_EXPIRED_NAMESPACE, timer.id)),
        )
        for timer in state.shown_timers()
        if timer.running and timer.due <= now
    ]
