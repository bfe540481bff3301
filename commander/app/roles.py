"""The role board: who holds each role (a handoff is an assignment), and roles beyond the policy's."""

from __future__ import annotations

from commander.app.console import Console
from commander.domain.core.events import Event
from commander.domain.incident import decisions


def assign(console: Console, incident_id: str, role: str, person: str | None) -> list[Event]:
    """Give `role` to `person` (None frees it); the previous holder's time is kept for the postmortem."""
    return console.perform(incident_id, lambda s: decisions.assign_role(s, role, person, policy=console.policy))


def add_role(console: Console, incident_id: str, name: str, duty: str = "") -> list[Event]:
    return console.perform(incident_id, lambda s: decisions.add_role(s, name, duty))
