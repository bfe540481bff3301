"""Checklists on an incident: a runbook's steps (or a role's duties) copied onto the incident and ticked.

A checklist is made by a `checklist.attached` event, whose id is the checklist's id and which carries a
flattened copy of the steps, so the checklist reads the same whatever later happens to the runbook in the
library. Each step's state, assignee and findings come from later events: state and assignee are
last-writer-wins by log order, so two consoles ticking the same step converge; findings are a set keyed by
the event that added them. As in the incident fold, the fold never refuses an event; the rules are checked
when a change is decided (the functions at the end of this module).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from commander.domain.core.clock import from_ms, to_ms
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, EventDraft, incident_stream
from commander.domain.core.policy import Policy
from commander.domain.core.text import NAME_MAX, SUMMARY_MAX, clean_line, clean_multiline
from commander.domain.runbooks.inline_markdown import plain

if TYPE_CHECKING:  # the incident fold imports this module: the state is only a type here
    from commander.domain.incident.state import IncidentState

KINDS = ("checklist.attached", "checklist.step", "checklist.assigned", "checklist.finding", "checklist.detached")
STEP_STATES = ("open", "done", "skipped")
STEP_KINDS = ("diagnose", "mitigate", "escalate", "verify", "communicate")
MOST_STEPS = 1_000  # a "runbook" longer than this is a document to read, not a checklist to tick
STEP_TEXT_MAX = 2_000
COMMAND_MAX = 10_000
REASON_MAX = 300


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


# -- the timeline's words ----------------------------------------------------------------------------


def describe(checklists: Mapping[str, Checklist], event: Event) -> str:
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
    checklist = checklists.get(p["checklist"])
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
        short = _words(step.text if step else named, 60)
        if not p["to"]:
            return f"Unassigned “{short}” — {title}"
        return f"Assigned “{short}” to {p['to']} — {title}"
    if event.kind == "checklist.finding":
        return f"Finding on “{_words(step.text if step else named, 60)}”: {p['text']}"
    return event.kind


def step_name(step: ChecklistStep) -> str:
    """'Drain the node (Mitigation)': the step's words with the section it sits in."""
    return _words(step.text, 100) + (f" ({plain(step.section)})" if step.section else "")


def _words(text: str, limit: int) -> str:
    """A step named in a sentence: its runbook Markdown as plain words (`**Drain**` reads Drain)."""
    return _clip(plain(text), limit)


def _clip(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


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


# -- finding a checklist or a step from what a person typed -----------------------------------------


def number_of(checklists: Mapping[str, Checklist], checklist_id: str) -> int:
    """A checklist's number on its incident (1 for the first attached), stable once attached."""
    return list(checklists).index(checklist_id) + 1


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
        step["text"] = _clip(step["text"], STEP_TEXT_MAX) if step["text"].strip() else "(no text)"
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
        raise DomainError(f"“{_words(step.text, 60)}” is already {said}{by}.")
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
            f"“{_words(step.text, 60)}” is already assigned to {who}."
            if who
            else f"“{_words(step.text, 60)}” is not assigned to anyone."
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
