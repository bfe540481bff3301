"""The blameless postmortem of an incident: its sections, owner, meeting and status, as events in the stream
`postmortem:<incident id>`.

- `postmortem.drafted` {incident, template, sections} is the first draft, written from the event log (see
  postmortem_draft.py). Should two consoles both start one before they hear of each other, the first in log
  order is the draft; the other is ignored, and an edit that started from it counts as starting from the draft.
- `postmortem.section` {section, text, base, [resolved]} replaces one section's text; `base` is the id of the
  event whose text the edit started from. Sections are independent, so two people editing different sections
  never touch each other's work. Within a section the last edit in log order wins; when it did not start from
  the text it replaces (the two were written at the same time), the replaced text is kept as a conflict the
  editor shows, so nothing anyone wrote is lost. An edit lists the conflicts it settles in `resolved`.
- `postmortem.meta` {owner?, meeting?, status?}: each field last-writer-wins on its own.
- `postmortem.published` {}: the status becomes published.

As everywhere, the fold never refuses an event; the rules are checked when a change is decided, below.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, EventDraft, well_formed
from commander.domain.core.text import NAME_MAX, clean_line, clean_multiline
from commander.domain.incident.state import IncidentState

KINDS = ("postmortem.drafted", "postmortem.section", "postmortem.meta", "postmortem.published")
STATUSES = ("draft", "in_review", "published")
STATUS_LABELS = {"draft": "draft", "in_review": "in review", "published": "published"}
MEETING_WITHIN = 5  # business days after the resolution: when the review meeting is due by default
REMIND_WITHIN = 2  # business days before the meeting: when the reminder starts
SECTION_MAX = 200_000  # characters: a long incident's timeline (10,000 events draft about 70,000)


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str
    hint: str  # what belongs here, shown above the editor


SECTIONS = (
    SectionSpec("summary", "Summary", "What happened, for how long, which services, and how severe it was."),
    SectionSpec("impact", "Impact", "Who was affected and how much. The times are computed from the timeline."),
    SectionSpec("responders", "Responders", "Who held each role and when, handoffs included."),
    SectionSpec("timeline", "Timeline", "The key moments in UTC. Edit freely: this is the story as the team tells it."),
    SectionSpec(
        "contributing_factors",
        "Contributing factors",
        "One factor a line. There is rarely one root "
        "cause: list every condition that made the "
        "incident possible or worse.",
    ),
    SectionSpec("went_well", "What went well", "One point a line."),
    SectionSpec("went_badly", "What went badly", "One point a line: what slowed the response down."),
    SectionSpec("lucky", "Where we got lucky", "What could have made this much worse, and did not."),
    SectionSpec("resolution", "Resolution", "What stopped the impact, and how we knew it had stopped."),
    SectionSpec(
        "runbook_changes",
        "Runbook changes",
        "Changes to runbooks proposed during the incident, and any others this review suggests.",
    ),
    SectionSpec(
        "action_items",
        "Action items",
        "One item a line: - [ ] title — owner: Sam; due: 2026-12-05; "
        "type: detect; priority: P2. Confirm a line to track it.",
    ),
    SectionSpec("internal_summary", "Internal summary", "A few sentences for the rest of the company."),
    SectionSpec("customer_message", "Customer message", "What customers are told. No internal names or jargon."),
)
SECTION_KEYS = tuple(spec.key for spec in SECTIONS)
_SPECS = {spec.key: spec for spec in SECTIONS}


def stream(incident_id: str) -> str:
    return f"postmortem:{incident_id}"


def spec(key: str) -> SectionSpec:
    """The section's title and hint; a key a newer console added gets one made from the key."""
    return _SPECS.get(key) or SectionSpec(key, key.replace("_", " ").capitalize(), "")


# -- the state -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Conflict:
    """A section's text that a concurrent edit replaced: kept until someone settles it."""

    id: str  # the event that wrote this text
    text: str
    by: str
    at: datetime
    replaced_by: str  # who wrote the text that won


@dataclass(slots=True)
class Section:
    key: str
    text: str = ""
    head: str = ""  # the event the text comes from: an edit names it as its base
    by: str = ""
    at: datetime | None = None
    edited: bool = False  # changed by a person since the draft
    conflicts: list[Conflict] = field(default_factory=list)


@dataclass
class Postmortem:
    """Built by the fold; treat as read-only outside it."""

    incident_id: str
    draft_id: str = ""
    template: str = ""
    drafted_by: str = ""
    drafted_at: datetime | None = None
    sections: dict[str, Section] = field(default_factory=dict)
    owner: str = ""
    meeting: date | None = None
    status: str = "draft"
    published_by: str = ""
    published_at: datetime | None = None
    event_count: int = 0
    last_change: datetime | None = None

    @property
    def drafted(self) -> bool:
        return bool(self.draft_id)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    def section(self, key: str) -> Section:
        return self.sections.get(key) or Section(key)

    def ordered(self) -> list[Section]:
        """The known sections in the document's order, then any a newer console added."""
        known = [self.section(key) for key in SECTION_KEYS]
        return known + [s for key, s in self.sections.items() if key not in _SPECS]

    def conflicts(self) -> list[tuple[str, Conflict]]:
        return [(s.key, c) for s in self.ordered() for c in s.conflicts]

    def texts(self) -> dict[str, str]:
        return {s.key: s.text for s in self.ordered()}


def fold_postmortem(incident_id: str, events: Iterable[Event]) -> Postmortem:
    """The postmortem the events make; events of other kinds are ignored."""
    pm = Postmortem(incident_id)
    aliases: dict[str, str] = {}  # drafts that lost the race -> the draft
    for event in sorted(events, key=lambda e: e.order):
        _apply(pm, aliases, event)
    return pm


def _apply(pm: Postmortem, aliases: dict[str, str], event: Event) -> None:
    p: Any = event.payload
    kind = event.kind
    if kind not in KINDS or not well_formed(event):
        return
    pm.event_count += 1
    if pm.last_change is None or event.recorded_at > pm.last_change:
        pm.last_change = event.recorded_at
    if kind == "postmortem.drafted":
        if pm.drafted:
            aliases[event.id] = pm.draft_id
            return
        pm.draft_id, pm.template = event.id, p["template"]
        pm.drafted_by, pm.drafted_at = event.actor.name, event.occurred_at
        for key in (*SECTION_KEYS, *p["sections"]):
            section = pm.sections.setdefault(key, Section(key))
            if not section.head:  # an edit may have arrived first in log order; it stays
                section.text, section.head = p["sections"].get(key, ""), event.id
                section.by, section.at = event.actor.name, event.occurred_at
    elif kind == "postmortem.section":
        _edit(pm.sections.setdefault(p["section"], Section(p["section"])), aliases, event)
    elif kind == "postmortem.meta":
        if isinstance(p.get("owner"), str):
            pm.owner = p["owner"]
        if isinstance(p.get("meeting"), str):
            pm.meeting = _day(p["meeting"]) if p["meeting"] else None
        if p.get("status") in STATUSES:
            pm.status = p["status"]
    elif kind == "postmortem.published":
        pm.status, pm.published_by, pm.published_at = "published", event.actor.name, event.occurred_at


def _edit(section: Section, aliases: Mapping[str, str], event: Event) -> None:
    p: Any = event.payload
    base = aliases.get(p["base"], p["base"])
    settled = set(p.get("resolved") or ()) | {base}  # an edit continuing a conflicting text supersedes it
    section.conflicts = [c for c in section.conflicts if c.id not in settled]
    if section.head and base != section.head and section.text.strip() and section.text != p["text"]:
        section.conflicts.append(
            Conflict(section.head, section.text, section.by, section.at or event.occurred_at, event.actor.name)
        )
    section.text, section.head, section.by, section.at = p["text"], event.id, event.actor.name, event.occurred_at
    section.edited = True


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


# -- deciding ------------------------------------------------------------------------------------------


def start(
    incident: IncidentState,
    pm: Postmortem,
    sections: Mapping[str, str],
    *,
    template: str,
    owner: str,
    meeting: date | None,
    allow_open: bool = False,
) -> list[EventDraft]:
    """The first draft, with its owner and meeting date. Refused while the incident is still open (unless
    `allow_open`), and when a draft exists: it is edited, not drafted again."""
    if not incident.declared:
        raise DomainError(
            "That incident has not been declared here yet: wait for it to sync, then start its postmortem."
        )
    if pm.drafted:
        raise DomainError(
            f"The postmortem of {incident.reference} was started by {pm.drafted_by}: open it to "
            f"edit (`commander postmortem show {incident.reference}`)."
        )
    if incident.is_open and not allow_open:
        raise DomainError(
            f"{incident.reference} is still {incident.status.value}. Resolve it first: the "
            f"postmortem is written once the impact is over."
        )
    cleaned = {
        key: clean_multiline(text, field=f"{spec(key).title} section", limit=SECTION_MAX, required=False)
        for key, text in sections.items()
    }
    meta: dict[str, str] = {"owner": _owner(owner), "status": "draft"}
    if meeting is not None:
        meta["meeting"] = meeting.isoformat()
    return [
        EventDraft(
            stream(incident.id),
            "postmortem.drafted",
            {"incident": incident.id, "template": template, "sections": cleaned},
        ),
        EventDraft(stream(incident.id), "postmortem.meta", meta),
    ]


def edit_section(pm: Postmortem, key: str, text: str, *, base: str, resolved: Iterable[str] = ()) -> list[EventDraft]:
    """A section's new text, edited from the text of event `base`. Nothing when nothing changes."""
    _require_drafted(pm)
    if key not in pm.sections and key not in _SPECS:
        raise DomainError(f"A postmortem has no section '{key}'. Sections: {', '.join(SECTION_KEYS)}.")
    cleaned = clean_multiline(text, field=f"{spec(key).title} section", limit=SECTION_MAX, required=False)
    section = pm.section(key)
    settled = sorted({c.id for c in section.conflicts} & set(resolved))
    if cleaned == section.text and base == section.head and not settled:
        return []
    payload: dict[str, object] = {"section": key, "text": cleaned, "base": base}
    if settled:
        payload["resolved"] = settled
    return [EventDraft(stream(pm.incident_id), "postmortem.section", payload)]


def set_meta(
    pm: Postmortem,
    *,
    owner: str | None = None,
    meeting: date | None = None,
    clear_meeting: bool = False,
    status: str | None = None,
) -> list[EventDraft]:
    """Change the owner, the meeting date or the status (None leaves each as it is); only what changed is
    written. Setting the status to published publishes."""
    _require_drafted(pm)
    payload: dict[str, str] = {}
    if owner is not None and _owner(owner) != pm.owner:
        payload["owner"] = _owner(owner)
    if clear_meeting and pm.meeting is not None:
        payload["meeting"] = ""
    elif meeting is not None and meeting != pm.meeting:
        payload["meeting"] = meeting.isoformat()
    wanted = clean_status(status) if status is not None else None
    drafts = []
    if wanted is not None and wanted != pm.status:
        if wanted == "published":
            drafts += [EventDraft(stream(pm.incident_id), "postmortem.published", {})]
        else:
            payload["status"] = wanted
    if payload:
        drafts.insert(0, EventDraft(stream(pm.incident_id), "postmortem.meta", payload))
    return drafts


def publish(pm: Postmortem) -> list[EventDraft]:
    _require_drafted(pm)
    if pm.status == "published":
        raise DomainError(f"The postmortem was already published by {pm.published_by}.")
    return [EventDraft(stream(pm.incident_id), "postmortem.published", {})]


def clean_status(text: str) -> str:
    wanted = text.strip().lower().replace("-", "_").replace(" ", "_")
    if wanted not in STATUSES:
        raise DomainError(f"'{text}' is not a postmortem status. Use draft, in_review or published.")
    return wanted


def _owner(text: str) -> str:
    return clean_line(text, field="owner", limit=NAME_MAX, required=False)


def _require_drafted(pm: Postmortem) -> None:
    if not pm.drafted:
        raise DomainError(
            "This incident has no postmortem yet. Start one first (`commander postmortem draft REF`, "
            "or Incident > Postmortem… in the window)."
        )


# -- the meeting -------------------------------------------------------------------------------------


def add_business_days(day: date, count: int) -> date:
    """`count` weekdays (Monday to Friday) after `day`."""
    while count > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def business_days_between(start: date, end: date) -> int:
    """Weekdays after `start` up to and including `end` (negative when `end` is earlier)."""
    if end < start:
        return -business_days_between(end, start)
    # Whole weeks hold five weekdays each: a meeting a peer set years ahead costs no more than one next week.
    weeks, _ = divmod((end - start).days, 7)
    rest = range(weeks * 7 + 1, (end - start).days + 1)
    return weeks * 5 + sum(1 for offset in rest if (start + timedelta(days=offset)).weekday() < 5)


def default_meeting(incident: IncidentState, now: datetime, zone: tzinfo) -> date:
    """Within MEETING_WITHIN business days of the resolution (of now, while it is not resolved)."""
    resolved = incident.milestones.get("resolved") or incident.milestones.get("closed") or now
    return add_business_days(resolved.astimezone(zone).date(), MEETING_WITHIN)


def reminder(pm: Postmortem, reference: str, today: date) -> str | None:
    """A sentence when the review meeting is near or past and the postmortem is not published; else None."""
    if not pm.drafted or pm.status == "published" or pm.meeting is None:
        return None
    left = business_days_between(today, pm.meeting)
    where = f"The postmortem of {reference} ({pm.status_label}, owner {pm.owner or 'not set'})"
    if pm.meeting < today:
        days = (today - pm.meeting).days
        return f"{where} was due for review on {pm.meeting:%a %d %b} ({days} day{'s' if days != 1 else ''} ago)."
    if pm.meeting == today:
        return f"{where} is reviewed today."
    if left <= REMIND_WITHIN:
        return f"{where} is reviewed on {pm.meeting:%a %d %b}: in {left} working day{'s' if left != 1 else ''}."
    return None


# -- action items in the action items section --------------------------------------------------------

_ITEM = re.compile(r"^(?P<indent>\s*[-*+]\s+)\[(?P<box>[ xX])\]\s+(?:(?P<ref>ACT-[0-9A-Z]{4,})\s+)?(?P<rest>.*)$")
_SPLIT = re.compile(r"\s+(?:—|–|--|\|)\s+")
_FIELD = re.compile(r"^\s*(owner|due|type|priority|finding)\s*:\s*(.*?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ActionLine:
    """One line of the action items section: a draft item, or one already tracked (with its reference)."""

    line: int  # 0-based line in the section's text
    title: str
    owner: str = ""
    due: str = ""  # as typed: 2026-12-05, 7d, 2w
    type: str = ""
    priority: str = ""
    finding: str = ""
    reference: str = ""  # ACT-… once confirmed

    @property
    def confirmed(self) -> bool:
        return bool(self.reference)


def action_lines(text: str) -> list[ActionLine]:
    """The task-list lines of a section, read as action items."""
    found = []
    for number, line in enumerate(text.split("\n")):
        match = _ITEM.match(line)
        if match is None or not match["rest"].strip():
            continue
        title, *parts = _SPLIT.split(match["rest"].strip(), maxsplit=1)
        fields: dict[str, str] = {}
        for part in re.split(r"[;,]", parts[0]) if parts else ():
            named = _FIELD.match(part)
            if named:
                fields[named[1].lower()] = named[2]
            elif part.strip():
                title = f"{title} — {parts[0]}"  # not fields after all: the dash belongs to the title
                fields = {}
                break
        found.append(
            ActionLine(
                number,
                title.strip(),
                fields.get("owner", ""),
                fields.get("due", ""),
                fields.get("type", ""),
                fields.get("priority", ""),
                fields.get("finding", ""),
                match["ref"] or "",
            )
        )
    return found


def action_line(
    title: str,
    *,
    owner: str = "",
    due: str = "",
    type_: str = "",
    priority: str = "",
    finding: str = "",
    reference: str = "",
) -> str:
    fields = [
        f"{name}: {value}"
        for name, value in (
            ("owner", owner),
            ("due", due),
            ("type", type_),
            ("priority", priority),
            ("finding", finding),
        )
        if value
    ]
    head = f"- [x] {reference} " if reference else "- [ ] "
    return head + " ".join(title.split()) + (" — " + "; ".join(fields) if fields else "")


def mark_confirmed(text: str, line: int, reference: str) -> str:
    """The section's text with the item on `line` ticked and given its reference."""
    lines = text.split("\n")
    match = _ITEM.match(lines[line]) if 0 <= line < len(lines) else None
    if match is None:
        raise DomainError("That line is no longer an action item: the section changed. Check it and try again.")
    lines[line] = f"{match['indent']}[x] {reference} {match['rest'].strip()}"
    return "\n".join(lines)
