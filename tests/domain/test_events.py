"""Payload checks at the domain boundary: every append and every event read from another console."""

from __future__ import annotations

from typing import Any

import pytest

from commander.domain.errors import DomainError
from commander.domain.events import PAYLOADS, incident_stream, stream_entity, validate_payload


def test_streams_name_their_entity() -> None:
    assert incident_stream("abc") == "incident:abc"
    assert stream_entity("incident:abc") == ("incident", "abc")
    assert stream_entity("settings") == ("settings", "")


def test_a_valid_payload_of_every_known_kind_passes() -> None:
    samples: dict[str, dict[str, Any]] = {
        "incident.declared": {"title": "t", "severity": "SEV1", "services": ["api"], "summary": "",
                              "drill": False},
        "incident.edited": {"title": "t2"},
        "severity.changed": {"severity": "SEV1", "previous": "SEV2", "reason": ""},
        "status.changed": {"status": "identified", "previous": "investigating", "reason": ""},
        "milestone.set": {"milestone": "detected", "at": "2026-11-28T09:00:00Z"},
        "role.added": {"role": "liaison", "name": "Liaison", "duty": ""},
        "role.assigned": {"role": "scribe", "person": None, "previous": "Sam"},
        "note.added": {"text": "hello", "pinned": True},
        "note.edited": {"note": "n", "text": "hello again"},
        "note.deleted": {"note": "n"},
        "note.restored": {"note": "n"},
        "entry.pinned": {"target": "e", "pinned": False},
        "update.sent": {"audience": "#incidents", "summary": ""},
        "update.snoozed": {"until": "2026-11-28T09:30:00Z", "reason": "vendor"},
        "update.overdue": {"due": "2026-11-28T09:30:00Z"},
        "update.queued": {"destination": "#incidents", "template": "initial", "text": "Investigating"},
        "update.delivered": {"delivery": "e", "destination": "#incidents"},
        "update.failed": {"delivery": "e", "destination": "#old", "reason": "channel_not_found"},
        "destination.added": {"name": "#incidents", "kind": "slack", "options": {}},
        "destination.removed": {"name": "#incidents"},
        "timer.set": {"label": "check the rollback", "due": "2026-11-28T10:10:00+00:00"},
        "timer.cancelled": {"timer": "t"},
        "timer.expired": {"timer": "t"},
        "template.saved": {"key": "eu", "name": "EU customers", "stage": "any", "audience": "customers",
                           "body": "{{ incident.title }}"},
        "template.removed": {"key": "eu"},
    }
    assert set(samples) == set(PAYLOADS), "a new kind needs a sample here"
    for kind, payload in samples.items():
        validate_payload(kind, payload)


@pytest.mark.parametrize(("kind", "payload", "message"), [
    ("note.added", {"text": "x"}, "The note.added event's payload is missing a valid 'pinned'."),
    ("note.added", {"text": 5, "pinned": False}, "missing a valid 'text'"),
    ("role.assigned", {"role": "scribe", "person": 3, "previous": None}, "missing a valid 'person'"),
    ("incident.declared", {"title": "t", "severity": "SEV1", "services": ["a", 1], "summary": "",
                           "drill": False},
     "missing a valid 'services'"),
    ("incident.declared", {"title": "t", "severity": "SEV1", "services": [], "summary": "", "drill": "no"},
     "missing a valid 'drill'"),
    ("incident.edited", {"services": "api"},
     "The incident.edited event's payload has an invalid 'services'."),
])
def test_a_bad_payload_names_the_kind_and_field(kind: str, payload: dict[str, Any], message: str) -> None:
    with pytest.raises(DomainError, match=message.replace(".", r"\.")):
        validate_payload(kind, payload)


def test_a_payload_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(DomainError, match="has no payload object"):
        validate_payload("note.added", ["text"])  # type: ignore[arg-type]


def test_unknown_kinds_from_a_newer_console_are_accepted() -> None:
    validate_payload("checklist.step_checked", {"step": "s1", "checked": True})
