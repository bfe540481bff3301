"""The postmortem's first draft, written from the incident's event log through a template.

`facts` reads everything the draft needs from an IncidentView in one pass over its events: exact times to
detect, acknowledge, mitigate and resolve and the time spent in each severity (the same definitions as the
analytics report, commander.domain.analytics.figures), who held each role and when, the key moments of the timeline,
notes that read like contributing factors or follow-ups, checklists, alerts, runbook changes proposed during
the incident, and its action items. `render_sections` fills a template with them.

A template is Jinja2 in a sandbox with strict undefined variables, like the update templates: it may come
from the team's store, so it is untrusted. It holds one `{% block KEY %}` per section (see
resources/postmortem/default.md.j2); a block for a key that is not a section is refused, so a misspelt
block does not vanish quietly.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, cast

from jinja2 import TemplateSyntaxError

from commander.domain.actions import items as actions
from commander.domain.analytics.facts import LIFECYCLE_KINDS, STAGES, IncidentFacts, incident_facts
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, EventDraft, well_formed
from commander.domain.core.text import clean_line, clean_multiline
from commander.domain.postmortem.record import SECTION_KEYS, SECTION_MAX, action_line
from commander.domain.runbooks.inline_markdown import plain
from commander.domain.timeline.entries import IncidentView
from commander.domain.updates.template_guard import (
    TIME_BUDGET,
    GuardedEnvironment,
    TemplateLimit,
    budgeted,
    guarded_problem,
)
from commander.domain.updates.templates import TemplateProblem

KEY_KINDS = frozenset(
    {
        "incident.declared",
        "severity.changed",
        "status.changed",
        "milestone.set",
        "update.sent",
        "update.delivered",
        "update.failed",
        "alert.attached",
        "timer.expired",
    }
)
_FACTOR = re.compile(
    r"(?<!\w)(?:caus\w*|because|contribut\w*|hypothes\w*|found it|due to|trigger\w*|"
    r"regression|misconfig\w*)(?!\w)",
    re.IGNORECASE,
)
_FOLLOW_UP = re.compile(
    r"^\s*(?:todo|to do|follow[- ]?up|action(?: item)?|ai)\s*[:\-–—]\s*(?P<what>\S.*)$", re.IGNORECASE | re.DOTALL
)
MOST_FACTORS = 8
_ENVIRONMENT = GuardedEnvironment(trim_blocks=True, lstrip_blocks=True)  # budgets: see template_guard
SECTION_STREAM_MAX = 5 * SECTION_MAX  # a section past this is a runaway loop, not a long incident: refused


@dataclass(frozen=True)
class RunbookChange:
    """A change to a runbook proposed during the incident (a `runbook.suggested` event)."""

    runbook: str  # the runbook's id
    step: str  # a step id, or "" for the runbook as a whole
    text: str
    by: str
    at: datetime


def exact_duration(delta: timedelta | None) -> str:
    """'45s', '4m 12s', '1h 02m 13s', '2d 3h 04m 05s'; None reads 'not reached'."""
    if delta is None:
        return "not reached"
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h {minutes:02d}m {secs:02d}s"
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


@dataclass(frozen=True)
class _Row:
    """The incident as the analytics code reads a row of the incident list."""

    id: str
    reference: str
    title: str
    severity: str
    services: Sequence[str]
    drill: bool
    started_at_ms: int | None


def facts(
    view: IncidentView, *, now: datetime, zone: tzinfo, author: str, runbook_changes: Iterable[RunbookChange] = ()
) -> dict[str, Any]:
    """Everything a postmortem template can use: plain strings, numbers, lists and dicts. Times are UTC."""
    state, policy = view.state, view.policy
    events = view.events
    start = state.started_at() or now
    end = None if state.is_open else state.milestones.get("resolved") or state.milestones.get("closed")
    multi_day = (end or now).astimezone(UTC).date() != start.astimezone(UTC).date()

    def utc(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M" if multi_day else "%H:%M")

    row = _Row(state.id, state.reference, state.title, state.severity, state.services, state.drill, None)
    figures = incident_facts(row, [e for e in events if e.kind in LIFECYCLE_KINDS], policy, now)
    severity = policy.find_severity(state.severity)
    reached = [s for s, _ in state.severity_history]
    highest = min(reached, key=lambda key: _rank(view, key)) if reached else state.severity
    highest_severity = policy.find_severity(highest)
    timeline, signals = _walk(view, events, figures, utc)
    notes = [n for n in sorted(state.notes.values(), key=lambda n: n.at) if not n.deleted]
    items = actions.fold_actions(events)
    due = actions.default_due(state, now, zone).isoformat()
    return {
        "incident": {
            "reference": state.reference,
            "title": state.title,
            "severity": state.severity,
            "severity_name": severity.name if severity else "",
            "highest_severity": highest,
            "highest_severity_name": highest_severity.name if highest_severity else "",
            "status": state.status.value,
            "services": list(state.services),
            "summary": state.summary,
            "drill": state.drill,
            "declared_by": state.declared_by.name if state.declared_by else "",
            "date": start.astimezone(UTC).strftime("%Y-%m-%d"),
            "started": _stamp(start),
            "resolved": _stamp(end) if end else "",
            "window": _window(start, end),
            "milestones": {name: _stamp(at) for name, at in state.milestones.items()},
            "duration": exact_duration((end or now) - start),
            "open": state.is_open,
            "reopened": state.reopened,
        },
        "figures": {stage: exact_duration(figures.times[stage] if figures else None) for stage in STAGES},
        "in_severity": [
            {"severity": key, "name": _severity_name(view, key), "time": exact_duration(spent)}
            for key, spent in sorted(
                (figures.in_severity if figures else {}).items(), key=lambda item: _rank(view, item[0])
            )
            if spent > timedelta(0)
        ],
        "responders": _responders(view, utc),
        "timeline": timeline,
        "times_with_dates": multi_day,
        "factors": _factors(signals["identified"], notes, state.pinned),
        "resolution": signals["resolution"],
        "went_well": signals["went_well"],
        "went_badly": signals["went_badly"],
        "checklists": [
            {"title": c.title, "done": c.progress[0], "total": c.progress[1], "source": c.source}
            for c in state.checklists.values()
            if c.attached
        ],
        "alerts": [
            {"name": a.name, "source": a.source, "started": _stamp(a.starts_at)}
            for a in sorted(state.alerts.values(), key=lambda a: a.starts_at)
        ],
        "runbook_changes": [_runbook_change(view, change) for change in sorted(runbook_changes, key=lambda c: c.at)],
        "actions": [
            {
                "reference": i.reference,
                "title": i.title,
                "owner": i.owner,
                "due": i.due.isoformat(),
                "priority": i.priority,
                "type": i.type,
                "status": i.status_label,
                "line": action_line(
                    i.title,
                    owner=i.owner,
                    due=i.due.isoformat(),
                    type_=i.type,
                    priority=i.priority,
                    reference=i.reference,
                ),
            }
            for i in sorted(items.values(), key=lambda i: (i.created_at, i.id))
        ],
        "action_drafts": [
            action_line(
                what, owner=note.author.name, due=due, type_=actions.DEFAULT_TYPE, priority=actions.DEFAULT_PRIORITY
            )
            for note in notes
            if (what := _follow_up(note.text))
        ],
        "author": author,
        "today": now.astimezone(zone).date().isoformat(),
    }


def _walk(
    view: IncidentView, events: Sequence[Event], figures: IncidentFacts | None, utc: Any
) -> tuple[list[dict[str, str]], dict[str, list[str]]]:
    """The key moments of the timeline, and what the log says went well or badly, in one pass."""
    state, policy = view.state, view.policy
    keyed = []
    failed: list[str] = []
    reasons: list[str] = []
    identified: list[str] = []  # why the status became identified: the team's own words for the cause
    identified_at: datetime | None = None
    for event in events:
        kind = event.kind
        entry = view.entry(event.id)
        if entry is None or entry.deleted_by:
            continue
        if kind == "update.failed":
            failed.append(f"{event.payload['destination']}: {event.payload['reason']}")
        elif kind == "status.changed":
            status, reason = event.payload["status"], " ".join(event.payload["reason"].split())
            if status == "identified":
                identified_at = identified_at or event.occurred_at
                identified += [reason] if reason else []
            elif status in ("mitigated", "resolved") and reason:
                reasons.append(f"{status.capitalize()}: {reason}")
        if entry.pinned or kind in KEY_KINDS or (kind == "checklist.step" and event.payload["state"] == "done"):
            keyed.append(entry)
    keyed.sort(key=lambda e: e.sort_key)
    timeline = [
        {
            "at": utc(e.at),
            "who": e.actor,
            "kind": e.kind,
            "pinned": "yes" if e.pinned else "",
            # A set milestone's own text names its time in the console's zone; here every time is UTC.
            "text": _milestone_text(e.text) if e.kind == "milestone.set" else " ".join(e.text.split()),
        }
        for e in keyed
    ]
    well: list[str] = []
    badly: list[str] = []
    severity = policy.find_severity(state.severity_history[0][0]) if state.severity_history else None
    start, acknowledged = state.started_at(), state.milestones.get("acknowledged")
    if severity and severity.acknowledge_minutes and start and acknowledged:
        took, target = acknowledged - start, timedelta(minutes=severity.acknowledge_minutes)
        line = (
            f"acknowledged {exact_duration(took)} after detection (the {severity.key} target is "
            f"{severity.acknowledge_minutes} minutes)"
        )
        (well if took <= target else badly).append(line[0].upper() + line[1:] + ".")
    updates = figures.updates if figures else None
    if updates and updates.due and updates.on_time == updates.due:
        well.append(f"Every stakeholder update went out on time ({updates.due} due).")
    elif updates and updates.due:
        late = updates.late + updates.missed
        badly.append(f"{late} of {updates.due} stakeholder updates due went out late or not at all.")
    badly += [f"An update did not reach {failure}." for failure in failed]
    for checklist in state.checklists.values():
        done, total = checklist.progress
        if total and done == total and checklist.attached:
            well.append(f"The checklist “{plain(checklist.title)}” was worked through ({total} steps).")
        skipped = [step for step in checklist.steps.values() if step.state == "skipped"]
        badly += [
            f"Skipped “{' '.join(plain(step.text).split())[:120]}” in “{plain(checklist.title)}”: {step.reason}."
            for step in skipped
        ]
    if state.reopened:
        badly.append(f"The incident was reopened {state.reopened} time{'s' if state.reopened != 1 else ''}.")
    # What was done once the cause was known: the notes pinned since.
    since = [
        " ".join(n.text.split())
        for n in sorted(state.notes.values(), key=lambda n: n.at)
        if state.is_pinned(n.id) and not n.deleted and identified_at is not None and n.at >= identified_at
    ]
    return timeline, {
        "went_well": well,
        "went_badly": badly,
        "resolution": since[-3:] + reasons,
        "identified": identified,
    }


def _responders(view: IncidentView, utc: Any) -> list[dict[str, str]]:
    out = []
    for slot in view.state.roles.values():
        previous = None
        for tenure in slot.history:
            handed = previous is not None and previous.until == tenure.since
            out.append(
                {
                    "role": slot.name,
                    "person": tenure.person,
                    "since": utc(tenure.since),
                    "until": utc(tenure.until) if tenure.until else "the end",
                    "held": exact_duration(tenure.until - tenure.since) if tenure.until else "",
                    "from": previous.person if handed and previous else "",
                }
            )
            previous = tenure
    return out


def _factors(identified: Sequence[str], notes: Sequence[Any], pinned: dict[str, bool]) -> list[str]:
    """Candidates for people to edit: why the cause was said to be identified, then notes that read like a
    cause or a condition, pinned ones first."""
    candidates = [n for n in notes if _FACTOR.search(n.text)]
    candidates.sort(key=lambda n: (not pinned.get(n.id, False), n.at))
    seen: dict[str, None] = dict.fromkeys(identified)
    for note in candidates:
        seen.setdefault(" ".join(note.text.split())[:300], None)
    return list(seen)[:MOST_FACTORS]


def _follow_up(text: str) -> str:
    found = _FOLLOW_UP.match(text)
    return " ".join(found["what"].split())[:200] if found else ""


def _runbook_change(view: IncidentView, change: RunbookChange) -> dict[str, str]:
    checklist = next((c for c in view.state.checklists.values() if c.runbook == change.runbook), None)
    step = checklist.steps.get(change.step) if checklist and change.step else None
    return {
        "runbook": plain(checklist.title) if checklist else f"runbook {change.runbook[:8]}",
        "step": " ".join(plain(step.text).split()) if step else "",
        "text": " ".join(change.text.split()),
        "by": change.by,
    }


def _milestone_text(text: str) -> str:
    """'Detected time set to 28 Nov 09:12' reads 'Detected' beside its UTC time."""
    return text.split(" time set to ", 1)[0]


def _window(start: datetime, end: datetime | None) -> str:
    if end is None:
        return f"since {_stamp(start)}"
    if start.astimezone(UTC).date() == end.astimezone(UTC).date():
        return f"between {start.astimezone(UTC):%H:%M} and {end.astimezone(UTC):%H:%M} UTC"
    return f"between {_stamp(start)} and {_stamp(end)}"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _rank(view: IncidentView, key: str) -> int:
    found = view.policy.find_severity(key)
    return found.rank if found else len(view.policy.severities)


def _severity_name(view: IncidentView, key: str) -> str:
    found = view.policy.find_severity(key)
    return found.name if found else ""


# -- the template --------------------------------------------------------------------------------------


def check_template(source: str) -> None:
    """Refuse text that is not a postmortem template: a syntax error, or a block that is not a section."""
    try:
        template = _ENVIRONMENT.compiled(source)
    except TemplateSyntaxError as error:
        raise TemplateProblem(error.message or "the template cannot be read", error.lineno) from None
    unknown = sorted(set(template.blocks) - set(SECTION_KEYS))
    if unknown:
        raise TemplateProblem(
            f"the block{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
            f"{'are' if len(unknown) > 1 else 'is'} not a section. Sections: "
            f"{', '.join(SECTION_KEYS)}."
        )
    if not template.blocks:
        raise TemplateProblem("the template has no section blocks, e.g. {% block summary %} … {% endblock %}.")


def render_sections(source: str, variables: dict[str, Any], *, seconds: float = TIME_BUDGET) -> dict[str, str]:
    """Each section's text, from the template's block of the same name ("" for a section it leaves out).
    The whole template runs within `seconds`; a section is checked for size as its text streams out."""
    sections = dict.fromkeys(SECTION_KEYS, "")
    try:
        with budgeted(seconds):
            check_template(source)
            template = _ENVIRONMENT.compiled(source)
            context = template.new_context(variables)
            try:
                for key, block in template.blocks.items():
                    parts, size = [], 0
                    stream = cast(Generator[str, None, None], block(context))
                    for chunk in stream:
                        size += len(chunk)
                        if size > SECTION_STREAM_MAX:
                            stream.throw(
                                TemplateLimit(
                                    f"the section {key} would be more than {SECTION_STREAM_MAX:,} characters long"
                                )
                            )
                        parts.append(chunk)
                    sections[key] = _fit("".join(parts).strip())
            except Exception:  # noqa: BLE001
                _ENVIRONMENT.handle_exception()  # re-raises with the template's own line numbers
    except TemplateProblem:
        raise
    except Exception as error:  # noqa: BLE001 (whatever the template caused becomes a problem; bugs re-raise)
        found = guarded_problem(error)
        if found is None:
            raise
        raise TemplateProblem(*found) from None
    return sections


def _fit(text: str) -> str:
    """A section as long as a section may be: a very long incident (thousands of handoffs or key moments) is
    cut at a line, saying so, rather than refused."""
    if len(text) <= SECTION_MAX:
        return text
    note = (
        f"\n\n_The draft of this section was {len(text):,} characters long and is cut here; the whole "
        f"history is in the incident's export (`commander export REF`)._"
    )
    cut = text.rfind("\n", 0, SECTION_MAX - len(note))
    return text[: cut if cut > 0 else SECTION_MAX - len(note)] + note


# -- the team's templates ----------------------------------------------------------------------------------

TEMPLATES_STREAM = "settings:postmortem_templates"
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class PostmortemTemplate:
    key: str
    name: str
    body: str
    origin: str = "shipped"  # "shipped", "team", or "edited": the team's version of a shipped one


def fold_templates(events: Iterable[Event], shipped: dict[str, PostmortemTemplate]) -> dict[str, PostmortemTemplate]:
    """The templates in use: the shipped ones, each replaced by the team's version, then the team's own."""
    team: dict[str, PostmortemTemplate] = {}
    for event in sorted(filter(well_formed, events), key=lambda e: e.order):
        p: Any = event.payload
        if event.kind == "postmortem.template_saved":
            team[p["key"]] = PostmortemTemplate(p["key"], p["name"], p["body"], "team")
        elif event.kind == "postmortem.template_removed":
            team.pop(p["key"], None)
    merged = {
        key: PostmortemTemplate(key, team[key].name, team[key].body, "edited") if key in team else found
        for key, found in shipped.items()
    }
    merged.update((key, found) for key, found in team.items() if key not in shipped)
    return merged


def save_template(key: str, name: str, body: str) -> list[EventDraft]:
    """Save the team's template under `key` (a shipped key edits that one for everyone). Checked first."""
    key = key.strip().lower()
    if not _KEY.match(key):
        raise DomainError(f"'{key}' cannot be a template key: use up to 40 lowercase letters, digits, - and _.")
    body = clean_multiline(body, field="template's text", limit=SECTION_MAX)
    try:
        check_template(body)
    except TemplateProblem as problem:
        raise DomainError(f"The template cannot be used: {problem}") from None
    return [
        EventDraft(
            TEMPLATES_STREAM,
            "postmortem.template_saved",
            {"key": key, "name": clean_line(name or key, field="template's name", limit=80), "body": body},
        )
    ]


def remove_template(templates: dict[str, PostmortemTemplate], key: str) -> list[EventDraft]:
    found = templates.get(key.strip().lower())
    if found is None or found.origin == "shipped":
        raise DomainError(f"The team has no postmortem template '{key}' of its own to remove.")
    return [EventDraft(TEMPLATES_STREAM, "postmortem.template_removed", {"key": found.key})]
