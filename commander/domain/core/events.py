"""The event: the one immutable record of every change anyone makes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from commander.domain.core.errors import DomainError
from commander.domain.core.schema import (
    Check,
    all_of,
    boolean,
    day,
    day_or_empty,
    items,
    json_value,
    moment,
    nullable,
    one_of,
    record,
    span,
    text,
    text_map,
    texts,
    whole,
)


class Actor(NamedTuple):
    """Who did it: a stable id and the name people see."""

    id: str
    name: str


# Events and actors are named tuples rather than frozen dataclasses: just as immutable, and five times
# cheaper to build, which is what opening an incident with 50,000 events spends its time on.
class Event(NamedTuple):
    id: str
    stream: str
    kind: str
    payload: Mapping[str, Any]
    actor: Actor
    hlc: int
    occurred_at: datetime
    recorded_at: datetime
    origin: str
    # The database login that wrote the row, as the shared store's trigger recorded it (PostgreSQL only);
    # None for events written here or read from a store that has no logins. Never part of the order.
    login: str | None = None

    @property
    def order(self) -> tuple[int, str, str]:
        """The total order of the log: hybrid clock, then console, then id."""
        return (self.hlc, self.origin, self.id)


@dataclass(frozen=True, slots=True)
class EventDraft:
    """What a decision produces; the writer stamps id, clock, actor and origin."""

    stream: str
    kind: str
    payload: Mapping[str, Any]
    occurred_at: datetime | None = None  # None: now. A person may backdate.
    # Set when every console must write the same event for the same fact (an update falling overdue):
    # the store keeps one, whichever console notices first.
    id: str | None = None


def incident_stream(incident_id: str) -> str:
    return f"incident:{incident_id}"


def stream_entity(stream: str) -> tuple[str, str]:
    kind, _, entity = stream.partition(":")
    return kind, entity


# -- payload schemas --------------------------------------------------------------------------------
# One declared schema per kind, checked on every local write, on every row pulled from the shared store
# (commander/domain/core/trust.py) and before every fold (`well_formed`). A payload that passes can be folded
# without a fold raising: every field a fold reads is declared here with its type and bounds. Fields a
# newer console adds are allowed within bounds; kinds this version does not know are accepted (a newer
# console may write them) when their payload is a JSON object of bounded size and depth.

ID = 200  # event ids, and the ids payloads refer to (notes, timers, pages, steps, runbooks)
LINE = 500  # titles, names, severities, statuses, roles, keys: one line a person reads
TEXT = 100_000  # notes, summaries, reasons, bodies, rendered updates
LONG = 200_000  # a postmortem section (postmortem.SECTION_MAX), a postmortem template
ADDRESS = 10_000  # web addresses, file paths, commands
MANY = 1_000  # list lengths: services, matchers, targets, resolved conflicts
MINUTES = 7 * 24 * 60  # escalation delays: a week is far beyond any policy's (oncall_format.DELAY_MAX)
PAYLOAD_SIZE = 1_000_000  # characters of an unknown kind's payload (trust.PAYLOAD_BYTES bounds the row)

_id, _line, _text, _long, _address = text(ID), text(LINE), text(TEXT), text(LONG), text(ADDRESS)
_name = text(LINE, empty=False)  # what settings are keyed by: "" would be a name nobody can pick
_count = whole(0, 1_000_000)
_options = text_map(key=100, value=ADDRESS, most=64, total=100_000)
_labels = text_map(key=1_000, value=ADDRESS, most=500, total=200_000)
_annotations = text_map(key=1_000, value=TEXT, most=500, total=500_000)

# A checklist step as checklist.attached carries it (checklists._steps tolerates any field missing).
_STEP = record(
    {},
    {
        "id": _id,
        "text": _text,
        "kind": _line,
        "command": nullable(_address),
        "link": nullable(_address),
        "depth": whole(0, 100),
        "section": _text,
        "query": _line,
    },
)


def _runbook_step(depth: int) -> Check:
    """A runbook step (runbooks._step_from): a text, or an object with a text and sub-steps, nested at
    most `depth` deep so reading it can never recurse without end."""
    children = items(_runbook_step(depth - 1), 5_000) if depth > 1 else items(_text, 0)
    return one_of(
        text(TEXT, empty=False),
        record(
            {"text": _text},
            {
                "kind": nullable(_line),
                "command": nullable(_address),
                "link": nullable(_address),
                "steps": nullable(children),
            },
        ),
    )


_RUNBOOK = all_of(
    json_value(depth=24, size=PAYLOAD_SIZE),
    record(
        {},
        {
            "title": nullable(_line),
            "summary": nullable(_text),
            "owner": nullable(_line),
            "services": nullable(texts(LINE, 5_000)),
            "alerts": nullable(texts(LINE, 5_000)),
            "tags": nullable(texts(LINE, 5_000)),
            "contacts": nullable(texts(LINE, 5_000)),
            "reviewed_at": one_of(nullable(moment), day_or_empty),
            "links": nullable(items(record({"url": _address}, {"label": nullable(_text)}), 5_000)),
            "sections": nullable(
                items(
                    record(
                        {},
                        {
                            "title": nullable(_text),
                            "context": nullable(_long),
                            "steps": nullable(items(_runbook_step(10), 5_000)),
                        },
                    ),
                    5_000,
                )
            ),
        },
    ),
)

# Schedules and escalation policies as oncall_format reads them: types and bounds here, the rules a person
# can get wrong (unknown zone, rotation, fields) there, where a schedule that breaks them is skipped.
_SCHEDULE = record(
    {
        "name": _name,
        "time_zone": text(100),
        "layers": items(
            record(
                {"start": day, "participants": texts(LINE, 100)},
                {
                    "name": _line,
                    "rotation": _line,
                    "shift_hours": whole(1, 24 * 366),
                    "handoff": text(20),
                    "handoff_day": one_of(text(20), whole(0, 6)),
                    "restrictions": items(
                        record(
                            {"from": text(20), "to": text(20)},
                            {"days": one_of(text(100), items(one_of(text(20), whole(0, 6)), 7))},
                        ),
                        14,
                    ),
                },
            ),
            10,
        ),
    },
    {"description": nullable(_text)},
)
_POLICY = record(
    {
        "name": _name,
        "levels": items(
            record({"targets": items(text_map(key=20, value=LINE, most=1), 10)}, {"delay_minutes": whole(0, MINUTES)}),
            20,
        ),
    },
    {"repeat": whole(0, 100), "description": nullable(_text)},
)

_ALERT = {
    "source": _line,
    "fingerprint": _line,
    "name": text(ADDRESS),
    "labels": _labels,
    "annotations": _annotations,
    "starts_at": moment,
    "generator_url": _address,
}
# action.updated: the fields an item has (actions._VALID and due); others a newer console adds are text.
_ACTION_CHANGES = all_of(
    text_map(key=100, value=TEXT, most=32),
    record(
        {},
        {
            "title": _line,
            "owner": _line,
            "due": day,
            "priority": _line,
            "type": _line,
            "finding": _text,
            "team": _line,
            "status": _line,
            "reason": _text,
        },
    ),
)

SCHEMAS: dict[str, Check] = {
    "incident.declared": record(
        {"title": _line, "severity": _line, "services": texts(LINE, MANY), "summary": _text, "drill": boolean}
    ),
    "incident.edited": record({}, {"title": _line, "summary": _text, "services": texts(LINE, MANY)}),
    "severity.changed": record({"severity": _line, "previous": _line, "reason": _text}),
    "status.changed": record({"status": _line, "previous": _line, "reason": _text}),
    "milestone.set": record({"milestone": _line, "at": moment}),
    "role.added": record({"role": _line, "name": _line, "duty": _text}),
    "role.assigned": record({"role": _line, "person": nullable(_line), "previous": nullable(_line)}),
    "note.added": record({"text": _text, "pinned": boolean}),  # the note's id is this event's id
    "note.edited": record({"note": _id, "text": _text}),
    "note.deleted": record({"note": _id}),
    "note.restored": record({"note": _id}),
    "entry.pinned": record({"target": _id, "pinned": boolean}),
    "update.sent": record({"audience": _line, "summary": _text}),
    "update.snoozed": record({"until": moment, "reason": _text}),
    "update.overdue": record({"due": moment}),
    "update.queued": record({"destination": _line, "template": _line, "text": _text}),
    "update.delivered": record(
        {"delivery": _id, "destination": _line},
        {"remote_id": nullable(_address), "shortened": nullable(items(whole(0, TEXT), 2, least=2))},
    ),  # [characters sent, characters] when cut
    "update.failed": record({"delivery": _id, "destination": _line, "reason": _text}),
    "destination.added": record({"name": _name, "kind": _line, "options": _options}),
    "destination.removed": record({"name": _line}),
    "timer.set": record({"label": _line, "due": moment}),  # a custom timer; its id is this event's id
    "timer.cancelled": record({"timer": _id}),
    "timer.expired": record({"timer": _id}),  # written once across consoles: its id derives from the timer's
    "template.saved": record({"key": _name, "name": _line, "stage": _line, "audience": _line, "body": _text}),
    "template.removed": record({"key": _line}),
    # The runbook library (commander/domain/runbooks/library.py), in "runbook:<id>"; every save is a whole version.
    "runbook.saved": record({"runbook": _id, "content": _RUNBOOK, "digest": _line, "source": _address}),
    "runbook.reviewed": record({"runbook": _id, "note": _text}),
    "runbook.retired": record({"runbook": _id}),
    "runbook.suggested": record(
        {"runbook": _id, "version_id": _id, "step": _id, "text": _text, "incident": _id, "reference": _line}
    ),  # a suggestion's id is this event's id
    "runbook.suggestion_closed": record({"suggestion": _id, "accepted": boolean, "note": _text}),
    # Alert triage (commander/domain/alerts/triage.py): sources and ingested alerts in "settings:alerts".
    "alert_source.added": record({"name": _name, "kind": _line, "url": _address, "options": _options}),
    "alert_source.removed": record({"name": _line}),
    "alert.ingested": record({**_ALERT, "status": _line}),
    "alert.attached": record(_ALERT),
    "alert.noise": record({"source": _line, "fingerprint": _line, "name": text(ADDRESS), "reason": _text}),
    "silence.created": record(
        {"source": _line, "silence_id": _line, "matchers": texts(ADDRESS, MANY), "ends_at": moment, "comment": _text}
    ),
    "silence.expired": record({"source": _line, "silence_id": _line}),
    # Checklists on the incident (domain/checklists/checklists.py); a checklist's id is its attached event's id.
    "checklist.attached": record(
        {
            "title": _line,
            "runbook": _id,
            "version_id": _id,
            "version": _count,
            "role": _line,
            "steps": items(_STEP, 5_000),
        }
    ),
    "checklist.step": record({"checklist": _id, "step": _id, "state": _line, "reason": _text}),
    "checklist.assigned": record({"checklist": _id, "step": _id, "to": _line}),
    "checklist.finding": record({"checklist": _id, "step": _id, "text": _text}),
    "checklist.detached": record({"checklist": _id, "reason": _text}),
    # Action items (commander/domain/actions/items.py); an item's id is its action.created event's id.
    "action.created": record(
        {
            "title": _line,
            "owner": _line,
            "due": day,
            "priority": _line,
            "type": _line,
            "source": _line,
            "finding": _text,
        },
        {"team": _line},
    ),
    "action.updated": record({"action": _id, "changes": _ACTION_CHANGES}),
    "action.pushed": record({"action": _id, "tracker": _line, "key": _line, "url": _address}),
    "action.refreshed": record({"action": _id, "tracker": _line, "external_status": _line, "done": boolean}),
    "tracker.added": record({"name": _name, "kind": _line, "options": _options}),
    "tracker.removed": record({"name": _line}),
    # Postmortems (commander/domain/postmortem/record.py), in "postmortem:<incident id>"; team templates for them in
    # "settings:postmortem_templates".
    "postmortem.drafted": record(
        {"incident": _id, "template": _line, "sections": text_map(key=100, value=LONG, most=64, total=PAYLOAD_SIZE)}
    ),
    "postmortem.section": record({"section": text(100), "text": _long, "base": _id}, {"resolved": texts(ID, MANY)}),
    "postmortem.meta": record({}, {"owner": _line, "meeting": day_or_empty, "status": _line}),
    "postmortem.published": record({}),
    "postmortem.template_saved": record({"key": _name, "name": _line, "body": _long}),
    "postmortem.template_removed": record({"key": _line}),
    # On call (commander/domain/oncall/events.py), in "settings:oncall"; an override's id is its added event's.
    "schedule.saved": record({"schedule": _SCHEDULE}),
    "schedule.removed": record({"name": _line}),
    # An override is at most 90 days long when decided (oncall_events.OVERRIDE_LONGEST); a year bounds
    # what a calendar has to lay out.
    "override.added": all_of(
        record({"schedule": _line, "person": _line, "start": moment, "end": moment, "covers": _line}),
        span("start", "end", timedelta(days=366)),
    ),
    "override.removed": record({"override": _id}),
    "escalation.saved": record({"policy": _POLICY}),
    "escalation.removed": record({"name": _line}),
    "service.routed": record({"service": _line, "policy": _line}),  # policy "": the service pages nobody any more
    # Paging (commander/domain/paging/pages.py), in the incident's stream; a page's id is its page.sent event's, and
    # escalations' ids derive from their run and step. Pagers (commander/domain/paging/pagers.py) in "settings:paging".
    "page.sent": record(
        {
            "page": _id,
            "target": _line,
            "via": _line,
            "service": _line,
            "level": whole(0, 1_000),
            "round": whole(0, 1_000),
            "pager": _line,
            "dedup_key": text(1_000),
            "run": _id,
            "after": whole(0, MINUTES),
        }
    ),
    "page.delivered": record({"page": _id, "detail": _text}),
    "page.failed": record({"page": _id, "reason": _text}),
    "page.acknowledged": record({"page": _id, "by": _line}),
    "page.escalated": record(
        {
            "page": _id,
            "run": _id,
            "level": whole(0, 1_000),
            "round": whole(0, 1_000),
            "after": whole(0, MINUTES),
            "targets": texts(LINE, MANY),
            "note": _text,
        }
    ),
    "page.resolved": record({"page": _id}),
    "pager.added": record({"name": _name, "kind": _line, "options": _options}),
    "pager.removed": record({"name": _line}),
}
PAYLOADS = SCHEMAS  # the name other modules know the declared kinds by
_UNKNOWN = json_value(depth=16, size=PAYLOAD_SIZE)


def payload_problem(kind: str, payload: Any) -> str | None:
    """What is wrong with this payload for its kind, in words, or None when nothing is."""
    schema = SCHEMAS.get(kind)
    if schema is not None:
        return schema(payload)
    if not isinstance(payload, Mapping):
        return "is not an object"
    return _UNKNOWN(dict(payload))


def validate_payload(kind: str, payload: Mapping[str, Any]) -> None:
    """Raise DomainError, naming the kind and the field, when the payload does not fit its kind's schema."""
    problem = payload_problem(kind, payload)
    if problem is None:
        return
    shown = kind if len(kind) <= 60 else kind[:59] + "…"
    if not isinstance(payload, Mapping):
        raise DomainError(f"The {shown} event has no payload object.")
    if problem.startswith("'"):
        field, _, why = problem[1:].partition("' ")
        detail = "" if why == "is missing" else f": it {why}"
        raise DomainError(f"The {shown} event's payload is missing a valid '{field}'{detail}.")
    raise DomainError(f"The {shown} event's payload {problem}.")


def well_formed(event: Event) -> bool:
    """True when the event's payload fits its kind: the folds skip an event that does not (one written
    before its row could be checked, or by a console with a bug) instead of raising on it."""
    schema = SCHEMAS.get(event.kind)
    return (schema(event.payload) if schema is not None else payload_problem(event.kind, event.payload)) is None
