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
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from commander.domain.errors import DomainError
from commander.domain.events import EventDraft, incident_stream
from commander.domain.incident import IncidentState
from commander.domain.policy import Policy
from commander.domain.text import SUMMARY_MAX, clean_line, clean_multiline
from commander.domain.when import iso

FIRST_UPDATE = timedelta(minutes=5)
LONG_INCIDENT = timedelta(hours=2)
_OVERDUE_NAMESPACE = uuid.UUID("6f1c3b0e-2f7d-4d7e-9a55-1c0de0000001")


@dataclass(frozen=True)
class UpdateDue:
    due: datetime | None         # None: no periodic update is expected
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

def record_update(state: IncidentState, audience: str, summary: str = "", *, now: datetime,
                  at: datetime | None = None) -> list[EventDraft]:
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
