"""Checklists on an incident, as the fold builds them: a runbook's steps (or a role's duties) copied onto the
incident and ticked.

A checklist is made by a `checklist.attached` event, whose id is the checklist's id and which carries a
flattened copy of the steps, so the checklist reads the same whatever later happens to the runbook in the
library. Each step's state, assignee and findings come from later events: state and assignee are
last-writer-wins by log order, so two consoles ticking the same step converge; findings are a set keyed by
the event that added them. As in the incident fold, the fold never refuses an event; the rules are checked
when a change is decided (commander/domain/checklists/checklists.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from commander.domain.core.clock import from_ms, to_ms
from commander.domain.core.events import Event
from commander.domain.runbooks.inline_markdown import plain

STEP_STATES = ("open", "done", "skipped")


# -- the state ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class Finding:
    id: str  # the event that added it
    text: str
    by: str
    at: datetime


@dataclass(slots=True)
class ChecklistStep:
    id: str
    text: str
    kind: str = ""
    command: str | None = None
    link: str | None = None
    depth: int = 0
    section: str = ""
    state: str = "open"
    by: str | None = None  # who last ticked, unticked or skipped it
    at: datetime | None = None
    reason: str = ""  # why it was skipped
    assigned: str = ""  # a role or a person; "" for nobody
    findings: list[Finding] = field(default_factory=list)
    # The language of a query (promql, sql…) when the step's command is one: pasted into that tool, never
    # run in a shell. "" for a shell command.
    query: str = ""

    @property
    def finished(self) -> bool:
        """Done or skipped: it counts towards the checklist's progress."""
        return self.state != "open"


@dataclass(slots=True)
class Checklist:
    id: str  # the id of the event that attached it
    title: str
    runbook: str  # the runbook's id; "" for a role's duty checklist
    version_id: str
    version: int
    role: str  # the role's key for a duty checklist, else ""
    steps: dict[str, ChecklistStep]  # in the runbook's order
    attached_by: str
    attached_at: datetime
    detached_by: str | None = None
    detached_at: datetime | None = None
    detach_reason: str = ""

    @property
    def attached(self) -> bool:
        return self.detached_by is None

    @property
    def progress(self) -> tuple[int, int]:
        """(steps done or skipped, all steps)."""
        return sum(1 for step in self.steps.values() if step.finished), len(self.steps)

    @property
    def source(self) -> str:
        """What it was made from, in words: 'runbook v3', 'role duties'."""
        if self.role:
            return "role duties"
        return f"runbook v{self.version}" if self.runbook else "checklist"


def attached(checklists: Mapping[str, Checklist]) -> list[Checklist]:
    return [checklist for checklist in checklists.values() if checklist.attached]


# -- the fold ----------------------------------------------------------------------------------------


def apply(checklists: dict[str, Checklist], event: Event) -> None:
    """Fold one checklist event into the incident's checklists (the incident fold calls this)."""
    p = event.payload
    if event.kind == "checklist.attached":
        checklists[event.id] = Checklist(
            event.id,
            p["title"],
            p["runbook"],
            p["version_id"],
            p["version"],
            p["role"],
            dict(_steps(p["steps"])),
            event.actor.name,
            event.occurred_at,
        )
        return
    checklist = checklists.get(p["checklist"])
    if checklist is None:
        return  # about a checklist this log does not hold: nothing to change
    if event.kind == "checklist.detached":
        checklist.detached_by, checklist.detached_at = event.actor.name, event.occurred_at
        checklist.detach_reason = p["reason"]
        return
    step = checklist.steps.get(p["step"])
    if step is None:
        return
    if event.kind == "checklist.step":
        if p["state"] in STEP_STATES:
            step.state, step.by, step.at = p["state"], event.actor.name, event.occurred_at
            step.reason = p["reason"] if p["state"] == "skipped" else ""
    elif event.kind == "checklist.assigned":
        step.assigned = p["to"]
    elif event.kind == "checklist.finding":
        step.findings.append(Finding(event.id, p["text"], event.actor.name, event.occurred_at))


def _steps(raw: Sequence[Any]) -> Iterator[tuple[str, ChecklistStep]]:
    """Steps as the payload carries them; a field a newer console added or left out is tolerated."""
    for position, item in enumerate(raw):
        if not isinstance(item, Mapping):
            continue
        step_id = _text(item.get("id")) or f"#{position + 1}"
        yield (
            step_id,
            ChecklistStep(
                step_id,
                _text(item.get("text")),
                _text(item.get("kind")),
                _text(item.get("command")) or None,
                _text(item.get("link")) or None,
                item["depth"] if isinstance(item.get("depth"), int) else 0,
                _text(item.get("section")),
                query=_text(item.get("query")),
            ),
        )


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def step_name(step: ChecklistStep) -> str:
    """'Drain the node (Mitigation)': the step's words with the section it sits in."""
    return plain_words(step.text, 100) + (f" ({plain(step.section)})" if step.section else "")


def plain_words(text: str, limit: int) -> str:
    """A step named in a sentence: its runbook Markdown as plain words (`**Drain**` reads Drain)."""
    return one_line(plain(text), limit)


def one_line(text: str, limit: int) -> str:
    """The text on one line (runs of white space made one space), cut to `limit` characters with an ellipsis."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def number_of(checklists: Mapping[str, Checklist], checklist_id: str) -> int:
    """A checklist's number on its incident (1 for the first attached), stable once attached."""
    return list(checklists).index(checklist_id) + 1


# -- snapshots ---------------------------------------------------------------------------------------


def dump(checklists: Mapping[str, Checklist]) -> list[list[Any]]:
    """JSON-ready form for the incident snapshot (commander.domain.incident.snapshot)."""
    return [
        [
            c.id,
            c.title,
            c.runbook,
            c.version_id,
            c.version,
            c.role,
            c.attached_by,
            to_ms(c.attached_at),
            c.detached_by,
            _ms(c.detached_at),
            c.detach_reason,
            [
                [
                    s.id,
                    s.text,
                    s.kind,
                    s.command,
                    s.link,
                    s.depth,
                    s.section,
                    s.state,
                    s.by,
                    _ms(s.at),
                    s.reason,
                    s.assigned,
                    [[f.id, f.text, f.by, to_ms(f.at)] for f in s.findings],
                    s.query,
                ]
                for s in c.steps.values()
            ],
        ]
        for c in checklists.values()
    ]


def restore(saved: Sequence[Sequence[Any]]) -> dict[str, Checklist]:
    checklists = {}
    for (
        checklist_id,
        title,
        runbook,
        version_id,
        version,
        role,
        attached_by,
        attached_at,
        detached_by,
        detached_at,
        reason,
        steps,
    ) in saved:
        checklists[checklist_id] = Checklist(
            checklist_id,
            title,
            runbook,
            version_id,
            version,
            role,
            dict(_restore_steps(steps)),
            attached_by,
            from_ms(attached_at),
            detached_by,
            _dt(detached_at),
            reason,
        )
    return checklists


def _restore_steps(saved: Sequence[Sequence[Any]]) -> Iterator[tuple[str, ChecklistStep]]:
    for step_id, text, kind, command, link, depth, section, state, by, at, reason, assigned, findings, query in saved:
        yield (
            step_id,
            ChecklistStep(
                step_id,
                text,
                kind,
                command,
                link,
                depth,
                section,
                state,
                by,
                _dt(at),
                reason,
                assigned,
                [Finding(f[0], f[1], f[2], from_ms(f[3])) for f in findings],
                query,
            ),
        )


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else to_ms(moment)


def _dt(ms: int | None) -> datetime | None:
    return None if ms is None else from_ms(ms)
