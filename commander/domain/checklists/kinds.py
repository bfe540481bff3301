"""The checklist event kinds, in the incident's stream; a checklist's id is its attached event's id."""

from __future__ import annotations

from commander.domain.checklists.state import apply, plain_words, step_name
from commander.domain.core.events import Event
from commander.domain.core.kinds import EventKind, Shown, register
from commander.domain.core.schema import (
    a_count,
    a_line,
    a_text,
    an_address,
    an_id,
    items,
    nullable,
    record,
    whole,
)
from commander.domain.incident.state import IncidentState
from commander.domain.runbooks.inline_markdown import plain
from commander.domain.timeline.context import Context

# A checklist step as checklist.attached carries it (state._steps tolerates any field missing).
_STEP = record(
    {},
    {
        "id": an_id,
        "text": a_text,
        "kind": a_line,
        "command": nullable(an_address),
        "link": nullable(an_address),
        "depth": whole(0, 100),
        "section": a_text,
        "query": a_line,
    },
)


def _fold(state: IncidentState, event: Event) -> None:
    apply(state.checklists, event)


def _describe(event: Event, context: Context) -> str:
    """The timeline entry for a checklist event, read after the fold applied it."""
    p = event.payload
    if event.kind == "checklist.attached":
        count = len(p["steps"])
        steps = f"{count} step{'s' if count != 1 else ''}"
        if p["role"]:
            return f"Attached the duty checklist “{p['title']}” ({steps})"
        if p["runbook"]:
            return f"Attached runbook “{plain(p['title'])}” (version {p['version']}, {steps})"
        return f"Attached checklist “{p['title']}” ({steps})"
    checklist = context.state.checklists.get(p["checklist"])
    title = plain(checklist.title) if checklist else f"checklist {p['checklist'][:8]}"
    if event.kind == "checklist.detached":
        return f"Detached “{title}”" + (f": {p['reason']}" if p["reason"] else "")
    step = checklist.steps.get(p["step"]) if checklist else None
    named = step_name(step) if step else f"step {p['step']}"
    if event.kind == "checklist.step":
        if p["state"] == "done":
            return f"Checked: {named} — {title}"
        if p["state"] == "skipped":
            return f"Skipped: {named} — {title}, because {p['reason']}"
        return f"Unchecked: {named} — {title}"
    if event.kind == "checklist.assigned":
        short = plain_words(step.text if step else named, 60)
        if not p["to"]:
            return f"Unassigned “{short}” — {title}"
        return f"Assigned “{short}” to {p['to']} — {title}"
    return f"Finding on “{plain_words(step.text if step else named, 60)}”: {p['text']}"  # checklist.finding


_SHOWN = Shown("checklist", _describe)

KINDS = register(
    EventKind(
        "checklist.attached",
        record(
            {
                "title": a_line,
                "runbook": an_id,
                "version_id": an_id,
                "version": a_count,
                "role": a_line,
                "steps": items(_STEP, 5_000),
            }
        ),
        _fold,
        _SHOWN,
    ),
    EventKind(
        "checklist.step", record({"checklist": an_id, "step": an_id, "state": a_line, "reason": a_text}), _fold, _SHOWN
    ),
    EventKind("checklist.assigned", record({"checklist": an_id, "step": an_id, "to": a_line}), _fold, _SHOWN),
    EventKind("checklist.finding", record({"checklist": an_id, "step": an_id, "text": a_text}), _fold, _SHOWN),
    EventKind("checklist.detached", record({"checklist": an_id, "reason": a_text}), _fold, _SHOWN),
)
