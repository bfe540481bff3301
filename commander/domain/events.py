"""The event: the one immutable record of every change anyone makes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from commander.domain.errors import DomainError


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


# Payload shapes, checked at the domain boundary: on every append and on every event read from a
# store another console writes to. Unknown kinds are accepted (a newer console may write them) and
# ignored by folds that do not know them.
_Check = Callable[[Any], bool]


def _str(value: Any) -> bool:
    return isinstance(value, str)


def _opt_str(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _bool(value: Any) -> bool:
    return isinstance(value, bool)


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _str_map(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


PAYLOADS: dict[str, dict[str, _Check]] = {
    "incident.declared": {"title": _str, "severity": _str, "services": _str_list, "summary": _str,
                          "drill": _bool},
    "incident.edited": {},
    "severity.changed": {"severity": _str, "previous": _str, "reason": _str},
    "status.changed": {"status": _str, "previous": _str, "reason": _str},
    "milestone.set": {"milestone": _str, "at": _str},
    "role.added": {"role": _str, "name": _str, "duty": _str},
    "role.assigned": {"role": _str, "person": _opt_str, "previous": _opt_str},
    "note.added": {"text": _str, "pinned": _bool},  # the note's id is this event's id
    "note.edited": {"note": _str, "text": _str},
    "note.deleted": {"note": _str},
    "note.restored": {"note": _str},
    "entry.pinned": {"target": _str, "pinned": _bool},
    "update.sent": {"audience": _str, "summary": _str},
    "update.snoozed": {"until": _str, "reason": _str},
    "update.overdue": {"due": _str},
    "update.queued": {"destination": _str, "template": _str, "text": _str},
    "update.delivered": {"delivery": _str, "destination": _str},
    "update.failed": {"delivery": _str, "destination": _str, "reason": _str},
    "destination.added": {"name": _str, "kind": _str, "options": lambda v: isinstance(v, dict)},
    "destination.removed": {"name": _str},
    "timer.set": {"label": _str, "due": _str},  # a custom timer; its id is this event's id
    "timer.cancelled": {"timer": _str},
    "timer.expired": {"timer": _str},  # written once across consoles: its id derives from the timer's
    "template.saved": {"key": _str, "name": _str, "stage": _str, "audience": _str, "body": _str},
    "template.removed": {"key": _str},
    # The runbook library (commander/domain/runbooks.py), in "runbook:<id>"; every save is a whole version.
    "runbook.saved": {"runbook": _str, "content": lambda v: isinstance(v, dict), "digest": _str, "source": _str},
    "runbook.reviewed": {"runbook": _str, "note": _str},
    "runbook.retired": {"runbook": _str},
    "runbook.suggested": {"runbook": _str, "version_id": _str, "step": _str, "text": _str, "incident": _str,
                          "reference": _str},  # a suggestion's id is this event's id
    "runbook.suggestion_closed": {"suggestion": _str, "accepted": _bool, "note": _str},
    # Alert triage (commander/domain/triage.py): sources and ingested alerts in "settings:alerts".
    "alert_source.added": {"name": _str, "kind": _str, "url": _str, "options": _str_map},
    "alert_source.removed": {"name": _str},
    "alert.ingested": {"source": _str, "fingerprint": _str, "name": _str, "labels": _str_map,
                       "annotations": _str_map, "starts_at": _str, "generator_url": _str, "status": _str},
    "alert.attached": {"source": _str, "fingerprint": _str, "name": _str, "labels": _str_map,
                       "annotations": _str_map, "starts_at": _str, "generator_url": _str},
    "alert.noise": {"source": _str, "fingerprint": _str, "name": _str, "reason": _str},
    "silence.created": {"source": _str, "silence_id": _str, "matchers": _str_list, "ends_at": _str,
                        "comment": _str},
    "silence.expired": {"source": _str, "silence_id": _str},
    # Checklists on the incident (commander/domain/checklists.py); a checklist's id is its attached event's id.
    "checklist.attached": {"title": _str, "runbook": _str, "version_id": _str, "version": lambda v: type(v) is int,
                           "role": _str,
                           "steps": lambda v: isinstance(v, list) and all(isinstance(s, dict) for s in v)},
    "checklist.step": {"checklist": _str, "step": _str, "state": _str, "reason": _str},
    "checklist.assigned": {"checklist": _str, "step": _str, "to": _str},
    "checklist.finding": {"checklist": _str, "step": _str, "text": _str},
    "checklist.detached": {"checklist": _str, "reason": _str},
    # Action items (commander/domain/actions.py); an item's id is its action.created event's id.
    "action.created": {"title": _str, "owner": _str, "due": _str, "priority": _str, "type": _str, "source": _str,
                       "finding": _str},
    "action.updated": {"action": _str, "changes": lambda v: isinstance(v, dict)},
    "action.pushed": {"action": _str, "tracker": _str, "key": _str, "url": _str},
    "action.refreshed": {"action": _str, "tracker": _str, "external_status": _str, "done": _bool},
    "tracker.added": {"name": _str, "kind": _str, "options": lambda v: isinstance(v, dict)},
    "tracker.removed": {"name": _str},
    # Postmortems (commander/domain/postmortem.py), in "postmortem:<incident id>"; team templates for them in
    # "settings:postmortem_templates".
    "postmortem.drafted": {"incident": _str, "template": _str, "sections": _str_map},
    "postmortem.section": {"section": _str, "text": _str, "base": _str},
    "postmortem.meta": {},
    "postmortem.published": {},
    "postmortem.template_saved": {"key": _str, "name": _str, "body": _str},
    "postmortem.template_removed": {"key": _str},
    # On call (commander/domain/oncall_events.py), in "settings:oncall"; an override's id is its added event's.
    "schedule.saved": {"schedule": lambda v: isinstance(v, dict)},
    "schedule.removed": {"name": _str},
    "override.added": {"schedule": _str, "person": _str, "start": _str, "end": _str, "covers": _str},
    "override.removed": {"override": _str},
    "escalation.saved": {"policy": lambda v: isinstance(v, dict)},
    "escalation.removed": {"name": _str},
    "service.routed": {"service": _str, "policy": _str},  # policy "": the service pages nobody any more
    # Paging (commander/domain/paging.py), in the incident's stream; a page's id is its page.sent event's, and
    # escalations' ids derive from their run and step. Pagers (commander/domain/pagers.py) in "settings:paging".
    "page.sent": {"page": _str, "target": _str, "via": _str, "service": _str, "level": lambda v: type(v) is int,
                  "round": lambda v: type(v) is int, "pager": _str, "dedup_key": _str, "run": _str,
                  "after": lambda v: type(v) is int},
    "page.delivered": {"page": _str, "detail": _str},
    "page.failed": {"page": _str, "reason": _str},
    "page.acknowledged": {"page": _str, "by": _str},
    "page.escalated": {"page": _str, "run": _str, "level": lambda v: type(v) is int,
                       "round": lambda v: type(v) is int, "after": lambda v: type(v) is int, "targets": _str_list,
                       "note": _str},
    "page.resolved": {"page": _str},
    "pager.added": {"name": _str, "kind": _str, "options": _str_map},
    "pager.removed": {"name": _str},
}

_OPTIONAL: dict[str, dict[str, _Check]] = {
    "incident.edited": {"title": _str, "summary": _str, "services": _str_list},
    "update.delivered": {"remote_id": _opt_str,  # and [characters sent, characters] when a limit cut it
                         "shortened": lambda v: v is None or (type(v) is list and len(v) == 2
                                                             and all(type(n) is int and n >= 0 for n in v))},
    "action.created": {"team": _str},
    "postmortem.section": {"resolved": _str_list},
    "postmortem.meta": {"owner": _str, "meeting": _str, "status": _str},
}


def validate_payload(kind: str, payload: Mapping[str, Any]) -> None:
    """Raise DomainError when a known kind's payload lacks a field or has one of the wrong type."""
    if not isinstance(payload, Mapping):
        raise DomainError(f"The {kind} event has no payload object.")
    required = PAYLOADS.get(kind)
    if required is None:
        return
    for field, check in required.items():
        if field not in payload or not check(payload[field]):
            raise DomainError(f"The {kind} event's payload is missing a valid '{field}'.")
    for field, check in _OPTIONAL.get(kind, {}).items():
        if field in payload and not check(payload[field]):
            raise DomainError(f"The {kind} event's payload has an invalid '{field}'.")
