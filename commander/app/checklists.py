"""Checklists on an incident: a runbook's steps (or a role's duties) copied onto it and worked through."""

from __future__ import annotations

from commander.app.console import Console
from commander.domain.checklists import checklists
from commander.domain.core.events import Event


def attach_checklist(console: Console, incident_id: str, runbook: checklists.RunbookVersion) -> list[Event]:
    """Copy one version of a runbook's steps onto the incident; the checklist's id is the event's."""
    return console.perform(incident_id, lambda s: checklists.attach_runbook(s, runbook))


def attach_role_checklist(console: Console, incident_id: str, role: str) -> list[Event]:
    return console.perform(incident_id, lambda s: checklists.attach_role(s, role, console.policy))


def check_step(console: Console, incident_id: str, checklist_id: str, step_id: str) -> list[Event]:
    return console.perform(incident_id, lambda s: checklists.set_step(s, checklist_id, step_id, "done"))


def uncheck_step(console: Console, incident_id: str, checklist_id: str, step_id: str) -> list[Event]:
    return console.perform(incident_id, lambda s: checklists.set_step(s, checklist_id, step_id, "open"))


def skip_step(console: Console, incident_id: str, checklist_id: str, step_id: str, reason: str) -> list[Event]:
    return console.perform(
        incident_id, lambda s: checklists.set_step(s, checklist_id, step_id, "skipped", reason=reason)
    )


def assign_step(console: Console, incident_id: str, checklist_id: str, step_id: str, to: str) -> list[Event]:
    return console.perform(incident_id, lambda s: checklists.assign_step(s, checklist_id, step_id, to))


def add_finding(console: Console, incident_id: str, checklist_id: str, step_id: str, text: str) -> list[Event]:
    return console.perform(incident_id, lambda s: checklists.add_finding(s, checklist_id, step_id, text))


def detach_checklist(console: Console, incident_id: str, checklist_id: str, reason: str = "") -> list[Event]:
    return console.perform(incident_id, lambda s: checklists.detach(s, checklist_id, reason))


def suggest_runbook_change(console: Console, incident_id: str, checklist_id: str, step: str, text: str) -> list[Event]:
    """A proposed edit to the checklist's runbook, written to the runbook's stream for its owner."""
    return console.perform(incident_id, lambda s: checklists.suggest_change(s, checklist_id, step, text))
