"""Checklists on an incident: the decisions that attach one, tick its steps, assign them, record findings and
detach it, each checked against the incident's state before its event is written.

The state the fold builds, and the names other modules know it by, are in commander/domain/checklists/state.py;
the kinds, their schemas and their timeline words in commander/domain/checklists/kinds.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from commander.domain.checklists.kinds import KINDS
from commander.domain.checklists.state import (
    STEP_STATES,
    Checklist,
    ChecklistStep,
    Finding,
    apply,
    attached,
    dump,
    number_of,
    one_line,
    plain_words,
    restore,
    step_name,
)
from commander.domain.core.errors import DomainError
from commander.domain.core.events import EventDraft, incident_stream
from commander.domain.core.policy import Policy
from commander.domain.core.text import NAME_MAX, SUMMARY_MAX, clean_line, clean_multiline
from commander.domain.incident.state import IncidentState

__all__ = [
    "COMMAND_MAX",
    "KINDS",
    "MOST_STEPS",
    "REASON_MAX",
    "STEP_KINDS",
    "STEP_STATES",
    "STEP_TEXT_MAX",
    "Checklist",
    "ChecklistStep",
    "Finding",
    "RunbookSection",
    "RunbookStep",
    "RunbookVersion",
    "add_finding",
    "apply",
    "assign_step",
    "attach_role",
    "attach_runbook",
    "attached",
    "detach",
    "dump",
    "find_checklist",
    "find_step",
    "number_of",
    "restore",
    "runbook_steps",
    "set_step",
    "step_name",
    "suggest_change",
]

STEP_KINDS = ("diagnose", "mitigate", "escalate", "verify", "communicate")
MOST_STEPS = 1_000  # a "runbook" longer than this is a document to read, not a checklist to tick
STEP_TEXT_MAX = 2_000
COMMAND_MAX = 10_000
REASON_MAX = 300


# -- finding a checklist or a step from what a person typed -----------------------------------------


def find_checklist(state: IncidentState, wanted: str) -> Checklist:
    """By number (as `commander checklist list` shows), by id or its start, or by the start of the title."""
    text = wanted.strip()
    listing = f"`commander checklist list {state.reference}` shows them."
    if not state.checklists:
        raise DomainError(
            f"{state.reference} has no checklists. Attach a runbook first: "
            f"`commander checklist attach {state.reference} RUNBOOK`."
        )
    everything = list(state.checklists.values())
    if text.isdigit():
        number = int(text)
        if 1 <= number <= len(everything):
            return everything[number - 1]
        raise DomainError(f"{state.reference} has no checklist {number}. {listing}")
    lowered = text.lower()
    for found in (
        [c for c in everything if c.id == lowered],
        [c for c in everything if lowered and c.id.startswith(lowered)],
        [c for c in everything if lowered and c.title.lower() == lowered],
        [c for c in everything if lowered and c.title.lower().startswith(lowered)],
    ):
        live = [c for c in found if c.attached] or found  # a detached twin never makes a name ambiguous
        if len(live) == 1:
            return live[0]
        if len(live) > 1:
            raise DomainError(
                f"'{wanted}' matches {len(live)} checklists on {state.reference}. Use its number. {listing}"
            )
    raise DomainError(f"{state.reference} has no checklist '{wanted}'. {listing}")


def find_step(checklist: Checklist, wanted: str) -> ChecklistStep:
    """By number in the list (1 for the first step), by step id (s2.1), or by the start of its words."""
    text = wanted.strip()
    steps = list(checklist.steps.values())
    if text.isdigit() and 1 <= int(text) <= len(steps):
        return steps[int(text) - 1]
    if text in checklist.steps:
        return checklist.steps[text]
    lowered = text.lower()
    found = [s for s in steps if lowered and s.text.lower().startswith(lowered)]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise DomainError(f"'{wanted}' matches {len(found)} steps of “{checklist.title}”. Use the step's number.")
    raise DomainError(f"“{checklist.title}” has no step '{wanted}'. Give its number (1 to {len(steps)}) or its id.")


# -- deciding changes --------------------------------------------------------------------------------


class RunbookStep(Protocol):
    """What attaching needs of a library step (commander.domain.runbooks.library.Step)."""

    @property
    def id(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def command(self) -> str | None: ...
    @property
    def link(self) -> str | None: ...
    @property
    def command_kind(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def children(self) -> Sequence[RunbookStep]: ...


class RunbookSection(Protocol):
    @property
    def title(self) -> str: ...
    @property
    def steps(self) -> Sequence[RunbookStep]: ...


class RunbookVersion(Protocol):
    """What attaching needs of a runbook (commander.domain.runbooks.library.Runbook): one version of it."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def version_id(self) -> str: ...
    @property
    def sections(self) -> Sequence[RunbookSection]: ...


def runbook_steps(runbook: RunbookVersion) -> list[dict[str, Any]]:
    """The runbook's steps, depth first, as the attached event carries them (nesting kept as depth)."""
    flat: list[dict[str, Any]] = []

    def walk(steps: Sequence[RunbookStep], depth: int, section: str) -> None:
        for step in steps:
            item = {
                "id": step.id,
                "text": step.text,
                "kind": step.kind or "",
                "command": step.command,
                "link": step.link,
                "depth": depth,
                "section": section,
            }
            if step.command and step.command_kind == "query":
                item["query"] = step.language or "query"
            flat.append(item)
            walk(step.children, depth + 1, section)

    for section in runbook.sections:
        walk(section.steps, 0, section.title)
    return flat


def attach_runbook(state: IncidentState, runbook: RunbookVersion) -> list[EventDraft]:
    _require_open(state)
    for checklist in attached(state.checklists):
        if checklist.runbook == runbook.id:
            raise DomainError(
                f"The runbook “{runbook.title}” is already attached to {state.reference} "
                f"(checklist {number_of(state.checklists, checklist.id)}). Work from that one, or "
                f"detach it first to attach the runbook again."
            )
    steps = runbook_steps(runbook)
    if not steps:
        raise DomainError(
            f"The runbook “{runbook.title}” has no steps to check, only prose. Read it in the "
            f"library, or add list items under its sections."
        )
    return [
        _attached(
            state,
            title=runbook.title,
            runbook=runbook.id,
            version_id=runbook.version_id,
            version=runbook.version,
            role="",
            steps=steps,
        )
    ]


def attach_role(state: IncidentState, role: str, policy: Policy) -> list[EventDraft]:
    """The duty checklist of a role, from the policy (Incident Commander: confirm severity, …)."""
    _require_open(state)
    key = policy.role_key_for(role)
    definition = policy.role(key)
    if definition is None or not definition.checklist:
        with_duties = ", ".join(r.name for r in policy.roles if r.checklist)
        raise DomainError(f"The policy gives '{role}' no duty checklist. Roles with one: {with_duties}.")
    for checklist in attached(state.checklists):
        if checklist.role == key:
            raise DomainError(
                f"The {definition.name} duty checklist is already attached to {state.reference} "
                f"(checklist {number_of(state.checklists, checklist.id)})."
            )
    steps = [
        {"id": f"d{number}", "text": text, "kind": "", "command": None, "link": None, "depth": 0, "section": ""}
        for number, text in enumerate(definition.checklist, start=1)
    ]
    return [
        _attached(state, title=f"{definition.name} duties", runbook="", version_id="", version=0, role=key, steps=steps)
    ]


def _attached(
    state: IncidentState,
    *,
    title: str,
    runbook: str,
    version_id: str,
    version: int,
    role: str,
    steps: list[dict[str, Any]],
) -> EventDraft:
    if len(steps) > MOST_STEPS:
        raise DomainError(
            f"“{title}” has {len(steps):,} steps; a checklist takes up to {MOST_STEPS:,}. Split the "
            f"runbook into shorter ones."
        )
    seen: set[str] = set()
    for position, step in enumerate(steps, start=1):
        if not step["id"] or step["id"] in seen:  # ids must tell steps apart: ticks name them
            step["id"] = f"{step['id'] or 'step'}#{position}"
        seen.add(step["id"])
        step["text"] = one_line(step["text"], STEP_TEXT_MAX) if step["text"].strip() else "(no text)"
        if step["command"] and len(step["command"]) > COMMAND_MAX:
            step["command"] = step["command"][:COMMAND_MAX]
    payload = {
        "title": clean_line(title, field="checklist title", limit=200),
        "runbook": runbook,
        "version_id": version_id,
        "version": version,
        "role": role,
        "steps": steps,
    }
    return EventDraft(incident_stream(state.id), "checklist.attached", payload)


def set_step(
    state: IncidentState, checklist_id: str, step_id: str, wanted: str, *, reason: str = ""
) -> list[EventDraft]:
    """Tick ("done"), untick ("open") or skip a step; a skip needs a reason, said in a few words."""
    checklist, step = _live_step(state, checklist_id, step_id)
    if wanted not in STEP_STATES:
        raise DomainError(f"A step is {', '.join(STEP_STATES)}; '{wanted}' is none of these.")
    why = ""
    if wanted == "skipped":
        why = clean_line(reason, field="reason for skipping", limit=REASON_MAX)
    if step.state == wanted and (wanted != "skipped" or why == step.reason):
        said = {"done": "checked", "open": "open", "skipped": "skipped"}[wanted]
        by = f" by {step.by}" if step.by and wanted != "open" else ""
        raise DomainError(f"“{plain_words(step.text, 60)}” is already {said}{by}.")
    return [
        EventDraft(
            incident_stream(state.id),
            "checklist.step",
            {"checklist": checklist.id, "step": step.id, "state": wanted, "reason": why},
        )
    ]


def assign_step(state: IncidentState, checklist_id: str, step_id: str, to: str) -> list[EventDraft]:
    """Give a step to a role (TL) or a person; an empty name takes it back."""
    checklist, step = _live_step(state, checklist_id, step_id)
    who = clean_line(to, field="name", limit=NAME_MAX, required=False)
    if who == step.assigned:
        raise DomainError(
            f"“{plain_words(step.text, 60)}” is already assigned to {who}."
            if who
            else f"“{plain_words(step.text, 60)}” is not assigned to anyone."
        )
    return [
        EventDraft(
            incident_stream(state.id), "checklist.assigned", {"checklist": checklist.id, "step": step.id, "to": who}
        )
    ]


def add_finding(state: IncidentState, checklist_id: str, step_id: str, text: str) -> list[EventDraft]:
    checklist, step = _live_step(state, checklist_id, step_id)
    said = clean_multiline(text, field="finding", limit=SUMMARY_MAX)
    return [
        EventDraft(
            incident_stream(state.id), "checklist.finding", {"checklist": checklist.id, "step": step.id, "text": said}
        )
    ]


def detach(state: IncidentState, checklist_id: str, reason: str = "") -> list[EventDraft]:
    """Take a checklist off the incident; its ticks stay in the log and in the timeline."""
    _require_declared(state)
    checklist = _checklist(state, checklist_id)
    if not checklist.attached:
        raise DomainError(f"“{checklist.title}” was already detached by {checklist.detached_by}.")
    why = clean_line(reason, field="reason", limit=REASON_MAX, required=False)
    return [EventDraft(incident_stream(state.id), "checklist.detached", {"checklist": checklist.id, "reason": why})]


def suggest_change(state: IncidentState, checklist_id: str, step_id: str, text: str) -> list[EventDraft]:
    """A proposed edit to the runbook a checklist came from, recorded in the runbook's own stream: the
    library shows it to the runbook's owner, the postmortem lists it. `step_id` may be "" (the whole
    runbook)."""
    _require_declared(state)
    checklist = _checklist(state, checklist_id)
    if not checklist.runbook:
        raise DomainError(
            f"“{checklist.title}” comes from the policy, not from a runbook. Change the duty in "
            f"the policy file instead."
        )
    if step_id and step_id not in checklist.steps:
        raise DomainError(f"“{checklist.title}” has no step '{step_id}'.")
    said = clean_multiline(text, field="suggestion", limit=SUMMARY_MAX)
    return [
        EventDraft(
            f"runbook:{checklist.runbook}",
            "runbook.suggested",
            {
                "runbook": checklist.runbook,
                "version_id": checklist.version_id,
                "step": step_id,
                "text": said,
                "incident": state.id,
                "reference": state.reference,
            },
        )
    ]


def _checklist(state: IncidentState, checklist_id: str) -> Checklist:
    checklist = state.checklists.get(checklist_id)
    if checklist is None:
        raise DomainError(
            f"That checklist is not on {state.reference}. "
            f"`commander checklist list {state.reference}` shows its checklists."
        )
    return checklist


def _live_step(state: IncidentState, checklist_id: str, step_id: str) -> tuple[Checklist, ChecklistStep]:
    _require_open(state)
    checklist = _checklist(state, checklist_id)
    if not checklist.attached:
        raise DomainError(
            f"“{checklist.title}” was detached by {checklist.detached_by}; its steps can no longer "
            f"change. Attach the runbook again to work through it."
        )
    step = checklist.steps.get(step_id)
    if step is None:
        raise DomainError(f"“{checklist.title}” has no step '{step_id}'.")
    return checklist, step


def _require_declared(state: IncidentState) -> None:
    if not state.declared:
        raise DomainError(f"No incident {state.reference} has been declared.")


def _require_open(state: IncidentState) -> None:
    _require_declared(state)
    if state.status.value == "closed":
        raise DomainError(f"{state.reference} is closed, so its checklists no longer change. Reopen it first.")
