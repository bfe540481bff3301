"""The incident itself: declaring one, and changing its severity, status, milestone times and details.

Every use case here has the same shape as the rest of `commander.app`: a function of the console and
the incident's id that runs one domain decision through `Console.perform` and returns the events it wrote.
"""

from __future__ import annotations

from datetime import datetime

from commander.app.console import Console
from commander.domain.core.clock import to_ms
from commander.domain.core.events import Event
from commander.domain.core.ids import new_id
from commander.domain.incident import decisions
from commander.domain.incident.decisions import Declaration
from commander.domain.incident.past import PastIncident
from commander.domain.incident.past import record_past as decide_past
from commander.domain.incident.state import IncidentState


def declare(console: Console, form: Declaration) -> IncidentState:
    """A new incident from the form; returns its state as folded from the events just written."""
    incident_id = new_id(to_ms(console.now()))
    console.record(decisions.declare(incident_id, form, me=console.me.name, policy=console.policy, now=console.now()))
    return console.state(incident_id)


def record_past(console: Console, form: PastIncident) -> IncidentState:
    """An incident that is over, written down afterwards with its real times, severities and roles; returns
    its state as folded from the events just written."""
    incident_id = new_id(to_ms(console.now()))
    console.record(decide_past(incident_id, form, policy=console.policy, now=console.now()))
    return console.state(incident_id)


def change_severity(console: Console, incident_id: str, severity: str, reason: str = "") -> list[Event]:
    return console.perform(
        incident_id, lambda s: decisions.change_severity(s, severity, reason=reason, policy=console.policy)
    )


def change_status(
    console: Console, incident_id: str, status: str, *, at: datetime | None = None, reason: str = ""
) -> list[Event]:
    return console.perform(
        incident_id, lambda s: decisions.change_status(s, status, now=console.now(), at=at, reason=reason)
    )


def set_milestone(console: Console, incident_id: str, milestone: str, at: datetime) -> list[Event]:
    return console.perform(incident_id, lambda s: decisions.set_milestone(s, milestone, at, now=console.now()))


def edit_details(
    console: Console,
    incident_id: str,
    *,
    title: str | None = None,
    summary: str | None = None,
    services: list[str] | None = None,
) -> list[Event]:
    return console.perform(
        incident_id, lambda s: decisions.edit_details(s, title=title, summary=summary, services=services)
    )
