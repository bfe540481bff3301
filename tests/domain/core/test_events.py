"""Payload checks at the domain boundary: every append and every event read from another console."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from commander.domain.core.errors import DomainError
from commander.domain.core.events import PAYLOADS, incident_stream, stream_entity, validate_payload


def test_streams_name_their_entity() -> None:
    assert incident_stream("abc") == "incident:abc"
    assert stream_entity("incident:abc") == ("incident", "abc")
    assert stream_entity("settings") == ("settings", "")


def test_a_valid_payload_of_every_known_kind_passes() -> None:
    samples: dict[str, dict[str, Any]] = {
        "incident.declared": {"title": "t", "severity": "SEV1", "services": ["api"], "summary": "", "drill": False},
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
        "template.saved": {
            "key": "eu",
            "name": "EU customers",
            "stage": "any",
            "audience": "customers",
            "body": "{{ incident.title }}",
        },
        "template.removed": {"key": "eu"},
        "runbook.saved": {
            "runbook": "r",
            "content": {"title": "Disk full", "sections": []},
            "digest": "ab12",
            "source": "runbooks/disk-full.md",
        },
        "runbook.reviewed": {"runbook": "r", "note": "Still right after the March incident"},
        "runbook.retired": {"runbook": "r"},
        "runbook.suggested": {
            "runbook": "r",
            "version_id": "v",
            "step": "s2.1",
            "text": "Add the -n flag",
            "incident": "i",
            "reference": "INC-7K2M",
        },
        "runbook.suggestion_closed": {"suggestion": "e", "accepted": True, "note": ""},
        "checklist.attached": {
            "title": "K8s node not ready",
            "runbook": "r",
            "version_id": "v",
            "version": 3,
            "role": "",
            "steps": [
                {
                    "id": "s1.1",
                    "text": "Check the node",
                    "kind": "diagnose",
                    "command": "kubectl get nodes",
                    "link": None,
                    "depth": 0,
                }
            ],
        },
        "checklist.step": {"checklist": "c", "step": "s1.1", "state": "skipped", "reason": "node already gone"},
        "checklist.assigned": {"checklist": "c", "step": "s1.1", "to": "TL"},
        "checklist.finding": {"checklist": "c", "step": "s1.1", "text": "node-7 NotReady since 09:02"},
        "checklist.detached": {"checklist": "c", "reason": ""},
        "alert_source.added": {
            "name": "prod",
            "kind": "alertmanager",
            "url": "http://alertmanager:9093",
            "options": {"auth": "none"},
        },
        "alert_source.removed": {"name": "prod"},
        "alert.ingested": {
            "source": "file",
            "fingerprint": "61ebe030e8e952ed",
            "name": "HighErrorRate",
            "labels": {"alertname": "HighErrorRate"},
            "annotations": {},
            "starts_at": "2026-11-28T09:00:00Z",
            "generator_url": "",
            "status": "firing",
        },
        "alert.attached": {
            "source": "prod",
            "fingerprint": "61ebe030e8e952ed",
            "name": "HighErrorRate",
            "labels": {"alertname": "HighErrorRate", "service": "checkout"},
            "annotations": {"summary": "5xx above 5%"},
            "starts_at": "2026-11-28T09:00:00Z",
            "generator_url": "http://prometheus:9090/graph",
        },
        "alert.noise": {
            "source": "prod",
            "fingerprint": "61ebe030e8e952ed",
            "name": "DiskFilling",
            "reason": "threshold too low",
        },
        "silence.created": {
            "source": "prod",
            "silence_id": "6d62d298",
            "matchers": ['alertname="HighErrorRate"'],
            "ends_at": "2026-11-28T10:00:00Z",
            "comment": "INC-7K2M: rollback in progress",
        },
        "silence.expired": {"source": "prod", "silence_id": "6d62d298"},
        "action.created": {
            "title": "Alert on consumer lag",
            "owner": "Sam",
            "due": "2026-12-05",
            "priority": "P2",
            "type": "detect",
            "source": "note:n",
            "finding": "Lag went unnoticed for 20 minutes",
        },
        "action.updated": {"action": "a", "changes": {"status": "wont_do", "reason": "replaced by ACT-2"}},
        "action.pushed": {
            "action": "a",
            "tracker": "ops-jira",
            "key": "OPS-12",
            "url": "https://example.atlassian.net/browse/OPS-12",
        },
        "action.refreshed": {"action": "a", "tracker": "ops-jira", "external_status": "Done", "done": True},
        "tracker.added": {"name": "ops-jira", "kind": "jira", "options": {"project": "OPS"}},
        "tracker.removed": {"name": "ops-jira"},
        "bridge.added": {"name": "Jitsi", "kind": "jitsi", "options": {"base_url": "https://meet.jit.si"}},
        "bridge.removed": {"name": "Jitsi"},
        "chat.added": {"name": "team-slack", "kind": "slack", "options": {"declare_channel": "C0DECLARE"}},
        "chat.removed": {"name": "team-slack"},
        "channel.created": {
            "via": "team-slack",
            "service": "slack",
            "channel": "C0123",
            "name": "inc-7k2m-checkout",
            "url": "https://team.slack.com/archives/C0123",
        },
        "channel.archived": {"via": "team-slack", "channel": "C0123"},
        "bridge.started": {
            "via": "jitsi",
            "service": "jitsi",
            "url": "https://meet.jit.si/inc-7k2m-x9",
            "meeting": "",
            "details": "",
        },
        "chat.posted": {
            "via": "team-slack",
            "channel": "C0123",
            "message": "1733650000.000100",
            "author_id": "U042",
            "author": "Sam Lee",
            "person": "Sam",
            "text": "rolled back v2.31",
            "url": "https://team.slack.com/archives/C0123/p1733650000000100",
            "thread": "",
        },
        "chat.edited": {
            "via": "team-slack",
            "channel": "C0123",
            "message": "1733650000.000100",
            "entry": "e",
            "text": "rolled back v2.31 on all pods",
            "version": "1733650060.000200",
        },
        "chat.deleted": {"via": "team-slack", "channel": "C0123", "message": "1733650000.000100", "entry": "e"},
        "chat.pinned": {"via": "team-slack", "channel": "C0123", "message": "1733650000.000100", "entry": "e"},
        "chat.unpinned": {"via": "team-slack", "channel": "C0123", "message": "1733650000.000100", "entry": "e"},
        "postmortem.drafted": {"incident": "i", "template": "default", "sections": {"summary": "What happened"}},
        "postmortem.section": {"section": "summary", "text": "Checkout failed for 42m", "base": "d", "resolved": ["c"]},
        "postmortem.meta": {"owner": "Sam", "meeting": "2026-12-04", "status": "in_review"},
        "postmortem.published": {},
        "postmortem.template_saved": {
            "key": "default",
            "name": "Our postmortem",
            "body": "{% block summary %}x{% endblock %}",
        },
        "postmortem.template_removed": {"key": "default"},
        "schedule.saved": {"schedule": {"name": "Payments", "time_zone": "Europe/Berlin", "layers": []}},
        "schedule.removed": {"name": "Payments"},
        "override.added": {
            "schedule": "Payments",
            "person": "Sam",
            "start": "2026-11-27T17:00:00Z",
            "end": "2026-11-30T08:00:00Z",
            "covers": "Alex",
        },
        "override.removed": {"override": "o"},
        "escalation.saved": {"policy": {"name": "Payments", "levels": []}},
        "escalation.removed": {"name": "Payments"},
        "service.routed": {"service": "payments", "policy": "Payments"},
        "page.sent": {
            "page": "p",
            "target": "Sam",
            "via": "Payments primary",
            "service": "payments",
            "level": 0,
            "round": 0,
            "pager": "PagerDuty",
            "dedup_key": "commander/i/sam",
            "run": "p",
            "after": 15,
        },
        "page.delivered": {"page": "p", "detail": "PagerDuty accepted it (Event processed)"},
        "page.failed": {"page": "p", "reason": "PagerDuty refused the page as invalid"},
        "page.acknowledged": {"page": "p", "by": "Sam"},
        "page.escalated": {
            "page": "p",
            "run": "p",
            "level": 1,
            "round": 0,
            "after": 30,
            "targets": ["Kim"],
            "note": "",
        },
        "page.resolved": {"page": "p"},
        "pager.added": {"name": "PagerDuty", "kind": "pagerduty", "options": {}},
        "pager.removed": {"name": "PagerDuty"},
        "workflow.saved": {
            "name": "war-room",
            "version": 1,
            "rule": {"name": "war-room", "when": {"event": "incident.declared"}, "do": [{"action": "start-bridge"}]},
        },
        "workflow.removed": {"name": "war-room"},
        "person.saved": {"name": "Alex", "email": "alex@example.com", "chat": {"team-slack": "U024BE7LH"}},
        "person.removed": {"name": "Alex"},
        "workflow.action_done": {
            "rule": "war-room",
            "version": 1,
            "action_id": "a1",
            "position": 1,
            "action": "start-bridge",
            "attempt": 1,
            "summary": "https://meet.example/x",
        },
        "workflow.action_failed": {
            "rule": "war-room",
            "version": 1,
            "action_id": "a1",
            "position": 1,
            "action": "start-bridge",
            "attempt": 1,
            "reason": "Zoom refused the client",
        },
        "workflow.action_skipped": {
            "rule": "war-room",
            "version": 1,
            "action_id": "a1",
            "position": 1,
            "action": "start-bridge",
            "attempt": 1,
            "reason": "run by another console",
        },
    }
    assert set(samples) == set(PAYLOADS), "a new kind needs a sample here"
    for kind, payload in samples.items():
        validate_payload(kind, payload)


@pytest.mark.parametrize(
    ("kind", "payload", "message"),
    [
        ("note.added", {"text": "x"}, "The note.added event's payload is missing a valid 'pinned'."),
        ("note.added", {"text": 5, "pinned": False}, "missing a valid 'text'"),
        ("role.assigned", {"role": "scribe", "person": 3, "previous": None}, "missing a valid 'person'"),
        (
            "incident.declared",
            {"title": "t", "severity": "SEV1", "services": ["a", 1], "summary": "", "drill": False},
            "missing a valid 'services[1]': it is a whole number, not text",
        ),
        (
            "incident.declared",
            {"title": "t", "severity": "SEV1", "services": [], "summary": "", "drill": "no"},
            "missing a valid 'drill'",
        ),
        (
            "incident.edited",
            {"services": "api"},
            "The incident.edited event's payload is missing a valid 'services': it is text, not a list.",
        ),
    ],
)
def test_a_bad_payload_names_the_kind_and_field(kind: str, payload: dict[str, Any], message: str) -> None:
    with pytest.raises(DomainError, match=re.escape(message)):
        validate_payload(kind, payload)


def test_a_payload_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(DomainError, match="has no payload object"):
        validate_payload("note.added", ["text"])  # type: ignore[arg-type]


def test_unknown_kinds_from_a_newer_console_are_accepted() -> None:
    validate_payload("checklist.step_checked", {"step": "s1", "checked": True})
    validate_payload("note.added", {"text": "x", "pinned": False, "mood": {"calm": [1, 2.5, None]}})


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


_STEP = {"id": "s1", "text": "Check", "kind": "diagnose", "command": None, "link": None, "depth": 0}
_LAYER = {"name": "Weekly", "rotation": "weekly", "start": "2026-01-05", "participants": ["Sam"]}
_CHECKLIST = {"title": "t", "runbook": "r", "version_id": "v", "version": 1, "role": ""}
_ALERT = {
    "source": "prod",
    "fingerprint": "f",
    "name": "HighErrorRate",
    "labels": {},
    "annotations": {},
    "starts_at": "2026-11-28T09:00:00Z",
    "generator_url": "",
}


# What a hostile responder (or a console with a bug) wrote into the shared store (issue 11, item 2): each
# payload is refused with a sentence naming the kind and the field.
@pytest.mark.parametrize(
    ("kind", "payload", "field"),
    [
        ("note.added", [], "no payload object"),
        ("note.added", "not json", "no payload object"),
        ("note.added", {}, "'text'"),
        ("incident.declared", {}, "'title'"),
        ("incident.declared", [], "no payload object"),
        ("template.saved", {"name": "EU", "stage": "", "audience": "", "body": "x"}, "'key'"),
        ("template.saved", {"key": "", "name": "EU", "stage": "", "audience": "", "body": "x"}, "'key': it is empty"),
        ("destination.added", {"name": "ops", "kind": "slack", "options": "channel=#ops"}, "'options'"),
        (
            "destination.added",
            {"name": "ops", "kind": "slack", "options": {"channel": {"id": 1}}},
            "'options[channel]': it is an object, not text",
        ),
        ("pager.added", {"name": "pd", "kind": "pagerduty", "options": {"api_url": 5}}, "'options[api_url]'"),
        ("note.added", {"text": "x" * 2_000_000, "pinned": False}, "'text': it is 2,000,000 characters long"),
        (
            "incident.declared",
            {"title": "t" * 501, "severity": "SEV1", "services": [], "summary": "", "drill": False},
            "'title'",
        ),
        ("milestone.set", {"milestone": "detected", "at": "318857-01-01T00:00:00Z"}, "not an ISO 8601 time"),
        ("milestone.set", {"milestone": "detected", "at": "yesterday"}, "not an ISO 8601 time"),
        ("milestone.set", {"milestone": "detected", "at": "9999-12-31T23:59:59-01:00"}, "not between 1970 and 2199"),
        ("milestone.set", {"milestone": "detected", "at": "1969-12-31T23:59:59Z"}, "not between 1970 and 2199"),
        ("milestone.set", {"milestone": "detected", "at": "2026-11-28T09:00:00"}, "a time without its zone"),
        ("timer.set", {"label": "check", "due": 1764320400}, "'due': it is a whole number, not a time"),
        ("update.snoozed", {"until": "2200-01-01T00:00:00Z", "reason": ""}, "'until'"),
        ("checklist.attached", {**_CHECKLIST, "steps": [{"text": {"evil": True}}]}, "'steps[0].text'"),
        ("checklist.attached", {**_CHECKLIST, "steps": [{**_STEP, "depth": 10**100}]}, "'steps[0].depth'"),
        ("checklist.attached", {**_CHECKLIST, "steps": ["just text"]}, "'steps[0]'"),
        ("checklist.attached", {**_CHECKLIST, "steps": [_STEP] * 5_001}, "'steps'"),
        ("checklist.attached", {**_CHECKLIST, "version": True, "steps": []}, "'version'"),
        ("schedule.saved", {"schedule": "Payments"}, "'schedule'"),
        (
            "schedule.saved",
            {"schedule": {"name": "P", "time_zone": "UTC", "layers": [{**_LAYER, "start": "0001-01-01"}]}},
            "'schedule.layers[0].start'",
        ),
        (
            "schedule.saved",
            {"schedule": {"name": "P", "time_zone": "UTC", "layers": [{**_LAYER, "participants": [[]]}]}},
            "'schedule.layers[0].participants[0]'",
        ),
        (
            "schedule.saved",
            {"schedule": {"name": "P", "time_zone": "UTC", "layers": [_LAYER] * 11}},
            "'schedule.layers'",
        ),
        (
            "escalation.saved",
            {"policy": {"name": "P", "levels": [{"targets": [{"person": ["Sam"]}]}]}},
            "'policy.levels[0].targets[0][person]'",
        ),
        (
            "escalation.saved",
            {"policy": {"name": "P", "levels": [{"delay_minutes": 10**9, "targets": []}]}},
            "'policy.levels[0].delay_minutes'",
        ),
        (
            "runbook.saved",
            {"runbook": "r", "content": {"sections": "all of them"}, "digest": "", "source": ""},
            "'content.sections'",
        ),
        (
            "runbook.saved",
            {"runbook": "r", "content": {"sections": [{"steps": [_nested(50)]}]}, "digest": "", "source": ""},
            "'content",
        ),
        (
            "runbook.saved",
            {"runbook": "r", "content": {"title": "t", "tags": ["x" * 100_000] * 20}, "digest": "", "source": ""},
            "'content",
        ),
        (
            "runbook.saved",
            {"runbook": "r", "content": {"reviewed_at": "318857-01-01"}, "digest": "", "source": ""},
            "'content.reviewed_at'",
        ),
        ("action.updated", {"action": "a", "changes": "done"}, "'changes'"),
        ("action.updated", {"action": "a", "changes": {"title": ["x"]}}, "'changes"),
        ("action.updated", {"action": "a", "changes": {"due": "9999-01-01"}}, "'changes.due'"),
        (
            "action.created",
            {"title": "t", "owner": "", "due": "soon", "priority": "P1", "type": "detect", "source": "", "finding": ""},
            "'due'",
        ),
        ("postmortem.meta", {"meeting": "318857-01-01"}, "'meeting'"),
        ("postmortem.meta", {"owner": 5}, "'owner'"),
        (
            "postmortem.drafted",
            {"incident": "i", "template": "t", "sections": {"summary": ["x"]}},
            "'sections[summary]'",
        ),
        (
            "page.sent",
            {
                "page": "p",
                "target": "Sam",
                "via": "",
                "service": "",
                "level": 0,
                "round": 0,
                "pager": "pd",
                "dedup_key": "k",
                "run": "",
                "after": 10**18,
            },
            "'after'",
        ),
        (
            "override.added",
            {
                "schedule": "P",
                "person": "Sam",
                "start": "2026-11-30T00:00:00Z",
                "end": "2026-11-29T00:00:00Z",
                "covers": "",
            },
            "'end': it is not after 'start'",
        ),
        (
            "override.added",
            {
                "schedule": "P",
                "person": "Sam",
                "start": "1970-01-01T00:00:00Z",
                "end": "2199-01-01T00:00:00Z",
                "covers": "",
            },
            "'end': it is not after 'start'",
        ),
        ("alert.attached", {**_ALERT, "labels": {"severity": 1}}, "'labels[severity]'"),
        ("alert.attached", {**_ALERT, "labels": {f"l{n}": "v" for n in range(501)}}, "'labels'"),
        ("note.added", {"text": "x", "pinned": False, "extra": _nested(20)}, "'extra'"),
        ("note.added", {"text": "x", "pinned": False, **{f"f{n}": 1 for n in range(40)}}, "does not know"),
        ("some.future_kind", {"deep": _nested(40)}, "nested more than 16 deep"),
        ("some.future_kind", {"big": "x" * 1_000_001}, "larger than 1,000,000"),
        ("some.future_kind", ["x"], "no payload object"),
        ("some.future_kind", {"n": float("nan")}, "not finite"),
    ],
)
def test_a_hostile_payload_is_refused_naming_the_kind_and_field(kind: str, payload: Any, field: str) -> None:
    with pytest.raises(DomainError) as refused:
        validate_payload(kind, payload)
    message = str(refused.value)
    assert message.startswith(f"The {kind} event"), message
    assert field in message, message
    assert len(message) < 300, "the refusal is a sentence, not the payload"


def test_validating_stays_cheap() -> None:
    """An incident of 50,000 events is checked on pull and before folding: a note must cost microseconds."""
    note = {"text": "Rolled back v2.31; the error rate is falling", "pinned": False}
    rounds = 20_000
    began = time.perf_counter()
    for _ in range(rounds):
        validate_payload("note.added", note)
    assert (time.perf_counter() - began) / rounds < 20e-6  # about 1 µs on a laptop; slack for a busy CI


def test_a_schedule_starting_before_1970_is_refused_where_a_person_wrote_it() -> None:
    """Refused when the file is read, saying where, rather than by the event schema when it is saved."""
    from commander.domain.oncall.format import schedule_from_dict

    layer = {**_LAYER, "start": "1900-01-05"}
    with pytest.raises(
        DomainError,
        match=r"In schedule 'P', layer 'Weekly': start 1900-01-05 is not between 1970 "
        r"and 2199\. Check the year\.",
    ):
        schedule_from_dict({"name": "P", "time_zone": "UTC", "layers": [layer]})
