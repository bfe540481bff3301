"""Action items: the follow-up work an incident leaves behind, tracked across incidents until it is done.

An item lives in its incident's stream, so it syncs and sits on the timeline: `action.created` makes it
(its id is that event's id), `action.updated` changes fields (last writer wins per field, in log order),
`action.pushed` links it to an issue in a tracker, `action.refreshed` records that issue's status. The
fold never refuses an event; the rules are checked when a change is decided, here, with `now` and the
person's zone given (a due date is a day in the person's calendar).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, EventDraft, incident_stream, well_formed
from commander.domain.core.ids import reference_for
from commander.domain.core.text import NAME_MAX, TITLE_MAX, clean_line, clean_multiline
from commander.domain.incident.state import IncidentState

KINDS = ("action.created", "action.updated", "action.pushed", "action.refreshed")
PRIORITIES = ("P1", "P2", "P3", "P4")
TYPES = ("prevent", "detect", "mitigate", "process")
STATUSES = ("open", "done", "wont_do")
STATUS_LABELS = {"open": "open", "done": "done", "wont_do": "won't do"}
DEFAULT_PRIORITY = "P3"
DEFAULT_TYPE = "prevent"
DUE_AFTER = timedelta(days=7)  # after resolution, or after creation while the incident is not resolved
FINDING_MAX = 2_000
REFERENCE_PREFIX = "ACT-"
_IN = re.compile(r"^\+?(\d{1,3})\s*(d|days?|w|weeks?)$", re.IGNORECASE)


@dataclass(frozen=True)
class TrackerLink:
    """The issue an item was pushed to, and what the tracker last said about it."""

    tracker: str
    key: str
    url: str
    external_status: str = ""
    done: bool = False
    checked_at: datetime | None = None


@dataclass
class ActionItem:
    """Built by the fold; treat as read-only outside it."""

    id: str
    incident_id: str
    title: str
    owner: str
    due: date
    priority: str
    type: str
    source: str
    finding: str
    team: str
    created_by: str
    created_at: datetime
    status: str = "open"
    reason: str = ""
    links: dict[str, TrackerLink] = field(default_factory=dict)  # by tracker name

    @property
    def reference(self) -> str:
        return action_reference(self.id)

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def done_in(self) -> TrackerLink | None:
        """The tracker that says the work is done (closed, completed), if one does."""
        return next((link for link in self.links.values() if link.done), None)

    def overdue(self, today: date) -> bool:
        """Open here, not done in any tracker, and its due day has passed."""
        return self.is_open and self.due < today and self.done_in() is None

    @property
    def status_label(self) -> str:
        label = STATUS_LABELS.get(self.status, self.status)
        done_in = self.done_in() if self.is_open else None
        return f"{label}, done in {done_in.tracker}" if done_in else label


def action_reference(action_id: str) -> str:
    """ACT- and six characters from the id's random end (a UUIDv7 starts with the time, so its start is
    shared by every item made in the same minute)."""
    try:
        tail = reference_for(action_id)[-6:]
    except ValueError:  # not a UUID: written by a tool of its own
        tail = re.sub(r"[^0-9A-Za-z]", "", action_id)[-6:].upper()
    return REFERENCE_PREFIX + tail


# -- the fold --------------------------------------------------------------------------------------


def fold_actions(events: Iterable[Event]) -> dict[str, ActionItem]:
    """Every item the events make, by id. Events of other kinds are ignored."""
    items: dict[str, ActionItem] = {}
    for event in sorted(events, key=lambda e: e.order):
        apply(items, event)
    return items


def apply(items: dict[str, ActionItem], event: Event) -> None:
    if event.kind not in KINDS or not well_formed(event):
        return
    p: Any = event.payload
    if event.kind == "action.created":
        created = event.occurred_at
        items[event.id] = ActionItem(
            event.id,
            event.stream.removeprefix("incident:"),
            p["title"],
            p["owner"],
            _day(p["due"]) or (created + DUE_AFTER).date(),
            p["priority"],
            p["type"],
            p["source"],
            p["finding"],
            str(p.get("team") or ""),
            event.actor.name,
            created,
        )
        return
    item = items.get(p.get("action", ""))
    if item is None:
        return  # an item this log never made (its creation has not arrived): nothing to change
    if event.kind == "action.updated":
        for name, value in p["changes"].items():
            if name == "due":
                item.due = _day(value) or item.due
            elif name in _VALID and _VALID[name](value):
                setattr(item, name, value)
    elif event.kind == "action.pushed":
        item.links[p["tracker"]] = TrackerLink(p["tracker"], p["key"], p["url"])
    elif event.kind == "action.refreshed" and p["tracker"] in item.links:
        item.links[p["tracker"]] = replace(
            item.links[p["tracker"]], external_status=p["external_status"], done=p["done"], checked_at=event.occurred_at
        )


_VALID = {
    "title": lambda v: isinstance(v, str) and bool(v),
    "owner": lambda v: isinstance(v, str),
    "priority": lambda v: v in PRIORITIES,
    "type": lambda v: v in TYPES,
    "finding": lambda v: isinstance(v, str),
    "team": lambda v: isinstance(v, str),
    "status": lambda v: v in STATUSES,
    "reason": lambda v: isinstance(v, str),
}


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


# -- deciding --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewAction:
    """What a person (or the postmortem) asks for; the defaults are filled in by `create_action`."""

    title: str
    owner: str = ""
    due: date | None = None  # None: DUE_AFTER after resolution (or after now, if not resolved)
    priority: str = DEFAULT_PRIORITY
    type: str = DEFAULT_TYPE
    source: str = "manual"  # "postmortem", "note:<event id>", "checklist:<id>/<step>", "manual"
    finding: str = ""  # the finding it answers, in words
    team: str = ""


def default_due(state: IncidentState, now: datetime, zone: tzinfo) -> date:
    return ((state.milestones.get("resolved") or now).astimezone(zone) + DUE_AFTER).date()


def create_action(state: IncidentState, form: NewAction, *, now: datetime, zone: tzinfo) -> list[EventDraft]:
    """The item, checked; it takes the incident's stream. Use with Console.perform."""
    if not state.declared:
        raise DomainError("That incident has not been declared here yet: wait for it to sync, then add the item.")
    payload: dict[str, Any] = {
        "title": clean_line(form.title, field="title", limit=TITLE_MAX),
        "owner": _person(form.owner, "owner"),
        "due": (form.due or default_due(state, now, zone)).isoformat(),
        "priority": clean_priority(form.priority),
        "type": clean_type(form.type),
        "source": clean_line(form.source, field="source", limit=TITLE_MAX),
        "finding": clean_multiline(form.finding, field="finding", limit=FINDING_MAX, required=False),
    }
    team = _person(form.team, "team")
    if team:
        payload["team"] = team
    return [EventDraft(incident_stream(state.id), "action.created", payload)]


def update_action(item: ActionItem, changes: Mapping[str, object]) -> list[EventDraft]:
    """Changed fields only; a change to nothing is refused, so a repeated command says so."""
    unknown = sorted(set(changes) - set(_VALID) - {"due"})
    if unknown:
        raise DomainError(
            f"An action item has no field {', '.join(unknown)}. Its fields: {', '.join(sorted([*_VALID, 'due']))}."
        )
    cleaned: dict[str, object] = {}
    for name, value in changes.items():
        cleaned[name] = _clean(name, value)
    status = cleaned.get("status")
    if status == "wont_do" and not cleaned.get("reason"):
        raise DomainError(f"Say why {item.reference} will not be done (a reason is required).")
    if status == "open" and item.reason and "reason" not in cleaned:
        cleaned["reason"] = ""
    fresh = {name: value for name, value in cleaned.items() if value != _current(item, name)}
    if not fresh:
        state = STATUS_LABELS.get(str(status), "")
        raise DomainError(
            f"{item.reference} is already {state}."
            if status
            else f"Nothing to change: {item.reference} already has those values."
        )
    return [EventDraft(incident_stream(item.incident_id), "action.updated", {"action": item.id, "changes": fresh})]


def _clean(name: str, value: object) -> object:
    text = value.isoformat() if isinstance(value, date) else str(value)
    if name == "title":
        return clean_line(text, field="title", limit=TITLE_MAX)
    if name in ("owner", "team"):
        return _person(text, name)
    if name == "due":
        day = _day(text)
        if day is None:
            raise DomainError(f"'{text}' is not a date. Use a date such as 2026-12-05.")
        return day.isoformat()
    if name == "priority":
        return clean_priority(text)
    if name == "type":
        return clean_type(text)
    if name == "status":
        wanted = text.strip().lower().replace("'", "").replace("-", "_").replace(" ", "_")
        if wanted not in STATUSES:
            raise DomainError(f"'{text}' is not a status. Use open, done or wont_do.")
        return wanted
    if name == "reason":
        return clean_line(text, field="reason", limit=TITLE_MAX, required=False)
    return clean_multiline(text, field=name, limit=FINDING_MAX, required=False)


def _current(item: ActionItem, name: str) -> object:
    value = getattr(item, name)
    return value.isoformat() if isinstance(value, date) else value


def _person(text: str, field_name: str) -> str:
    return clean_line(text, field=field_name, limit=NAME_MAX, required=False)


def clean_priority(text: str) -> str:
    wanted = text.strip().upper()
    wanted = f"P{wanted}" if wanted.isdigit() else wanted
    if wanted not in PRIORITIES:
        raise DomainError(f"'{text}' is not a priority. Use P1, P2, P3 or P4 (P1 is the most urgent).")
    return wanted


def clean_type(text: str) -> str:
    wanted = text.strip().lower()
    if wanted not in TYPES:
        raise DomainError(f"'{text}' is not a type of action item. Use {', '.join(TYPES[:-1])} or {TYPES[-1]}.")
    return wanted


def parse_due(text: str, today: date) -> date:
    """A due day as people type it: 2026-12-05, or 7d / 2w / +10 days from today."""
    raw = text.strip()
    later = _IN.match(raw)
    if later:
        count = int(later.group(1))
        return today + timedelta(days=count * (7 if later.group(2).lower().startswith("w") else 1))
    day = _day(raw)
    if day is None:
        raise DomainError(f"'{raw}' is not a due date. Use a date such as 2026-12-05, or 7d or 2w from today.")
    return day


def record_push(item: ActionItem, tracker: str, key: str, url: str) -> list[EventDraft]:
    return [
        EventDraft(
            incident_stream(item.incident_id),
            "action.pushed",
            {"action": item.id, "tracker": tracker, "key": key, "url": url},
        )
    ]


def record_refresh(item: ActionItem, tracker: str, external_status: str, done: bool) -> list[EventDraft]:
    """Written only when the tracker says something new: a refresh that finds nothing changed stays off
    the timeline."""
    link = item.links.get(tracker)
    if (
        link is not None
        and link.checked_at is not None
        and (link.external_status, link.done) == (external_status, done)
    ):
        return []
    return [
        EventDraft(
            incident_stream(item.incident_id),
            "action.refreshed",
            {"action": item.id, "tracker": tracker, "external_status": external_status, "done": done},
        )
    ]


# -- finding, filtering, ordering ------------------------------------------------------------------


def find_action(items: Mapping[str, ActionItem], text: str) -> ActionItem:
    """By its reference (ACT-7K2M9Q, any case, with or without ACT-, any unambiguous start) or its id."""
    wanted = text.strip()
    if not wanted:
        raise DomainError("No action item given. `commander action list` shows them with their references.")
    short = wanted.upper().removeprefix(REFERENCE_PREFIX).replace("O", "0").replace("I", "1").replace("L", "1")
    found = [
        item
        for item in items.values()
        if item.id == wanted.lower()
        or item.reference.removeprefix(REFERENCE_PREFIX).startswith(short)
        or (len(wanted) >= 8 and item.id.startswith(wanted.lower()))
    ]
    if not found:
        raise DomainError(f"No action item matches '{text}'. `commander action list --status all` shows them all.")
    if len(found) > 1:
        names = ", ".join(f"{item.reference} ({item.title[:40]})" for item in found[:5])
        raise DomainError(f"'{text}' matches {len(found)} action items: {names}. Type more of the reference.")
    return found[0]


@dataclass(frozen=True)
class ActionFilter:
    """Which items a list shows. None means any; owner "" means items nobody owns."""

    owner: str | None = None
    team: str | None = None
    incident_id: str | None = None
    type: str | None = None
    status: str | None = "open"
    overdue_only: bool = False

    def matches(self, item: ActionItem, today: date) -> bool:
        return (
            (self.owner is None or item.owner.casefold() == self.owner.casefold())
            and (self.team is None or item.team.casefold() == self.team.casefold())
            and (self.incident_id is None or item.incident_id == self.incident_id)
            and (self.type is None or item.type == self.type)
            and (self.status is None or item.status == self.status)
            and (not self.overdue_only or item.overdue(today))
        )


def ordered(items: Iterable[ActionItem], today: date) -> list[ActionItem]:
    """Overdue first (the longest overdue at the top), then open by due day and priority, then the rest."""
    return sorted(items, key=lambda i: (not i.overdue(today), not i.is_open, i.due, i.priority, i.title.casefold()))
