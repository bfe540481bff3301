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
        "runbook.saved": {"runbook": "r", "content": {"title": "Disk full", "sections": []}, "digest": "ab12",
                          "source": "runbooks/disk-full.md"},
        "runbook.reviewed": {"runbook": "r", "note": "Still right after the March incident"},
        "runbook.retired": {"runbook": "r"},
        "runbook.suggested": {"runbook": "r", "version_id": "v", "step": "s2.1", "text": "Add the -n flag",
                              "incident": "i", "reference": "INC-7K2M"},
        "runbook.suggestion_closed": {"suggestion": "e", "accepted": True, "note": ""},
        "checklist.attached": {"title": "K8s node not ready", "runbook": "r", "version_id": "v", "version": 3,
                               "role": "", "steps": [{"id": "s1.1", "text": "Check the node", "kind": "diagnose",
                                                      "command": "kubectl get nodes", "link": None, "depth": 0}]},
        "checklist.step": {"checklist": "c", "step": "s1.1", "state": "skipped", "reason": "node already gone"},
        "checklist.assigned": {"checklist": "c", "step": "s1.1", "to": "TL"},
        "checklist.finding": {"checklist": "c", "step": "s1.1", "text": "node-7 NotReady since 09:02"},
        "checklist.detached": {"checklist": "c", "reason": ""},
        "alert_source.added": {"name": "prod", "kind": "alertmanager", "url": "http://alertmanager:9093",
                               "options": {"auth": "none"}},
        "alert_source.removed": {"name": "prod"},
        "alert.ingested": {"source": "file", "fingerprint": "61ebe030e8e952ed", "name": "HighErrorRate",
                           "labels": {"alertname": "HighErrorRate"}, "annotations": {},
                           "starts_at": "2026-11-28T09:00:00Z", "generator_url": "", "status": "firing"},
        "alert.attached": {"source": "prod", "fingerprint": "61ebe030e8e952ed", "name": "HighErrorRate",
                           "labels": {"alertname": "HighErrorRate", "service": "checkout"},
                           "annotations": {"summary": "5xx above 5%"}, "starts_at": "2026-11-28T09:00:00Z",
                           "generator_url": "http://prometheus:9090/graph"},
        "alert.noise": {"source": "prod", "fingerprint": "61ebe030e8e952ed", "name": "DiskFilling",
                        "reason": "threshold too low"},
        "silence.created": {"source": "prod", "silence_id": "6d62d298", "matchers": ['alertname="HighErrorRate"'],
                            "ends_at": "2026-11-28T10:00:00Z", "comment": "INC-7K2M: rollback in progress"},
        "silence.expired": {"source": "prod", "silence_id": "6d62d298"},
        "action.created": {"title": "Alert on consumer lag", "owner": "Sam", "due": "2026-12-05", "priority": "P2",
                           "type": "detect", "source": "note:n", "finding": "Lag went unnoticed for 20 minutes"},
        "action.updated": {"action": "a", "changes": {"status": "wont_do", "reason": "replaced by ACT-2"}},
        "action.pushed": {"action": "a", "tracker": "ops-jira", "key": "OPS-12",
                          "url": "https://example.atlassian.net/browse/OPS-12"},
        "action.refreshed": {"action": "a", "tracker": "ops-jira", "external_status": "Done", "done": True},
        "tracker.added": {"name": "ops-jira", "kind": "jira", "options": {"project": "OPS"}},
        "tracker.removed": {"name": "ops-jira"},
        "postmortem.drafted": {"incident": "i", "template": "default", "sections": {"summary": "What happened"}},
        "postmortem.section": {"section": "summary", "text": "Checkout failed for 42m", "base": "d",
                               "resolved": ["c"]},
        "postmortem.meta": {"owner": "Sam", "meeting": "2026-12-04", "status": "in_review"},
        "postmortem.published": {},
        "postmortem.template_saved": {"key": "default", "name": "Our postmortem", "body": "{% block summary %}x"
                                                                                          "{% endblock %}"},
        "postmortem.template_removed": {"key": "default"},
        "schedule.saved": {"schedule": {"name": "Payments", "time_zone": "Europe/Berlin", "layers": []}},
        "schedule.removed": {"name": "Payments"},
        "override.added": {"schedule": "Payments", "person": "Sam", "start": "2026-11-27T17:00:00Z",
                           "end": "2026-11-30T08:00:00Z", "covers": "Alex"},
        "override.removed": {"override": "o"},
        "escalation.saved": {"policy": {"name": "Payments", "levels": []}},
        "escalation.removed": {"name": "Payments"},
        "service.routed": {"service": "payments", "policy": "Payments"},
        "page.sent": {"page": "p", "target": "Sam", "via": "Payments primary", "service": "payments", "level": 0,
                      "round": 0, "pager": "PagerDuty", "dedup_key": "commander/i/sam", "run": "p", "after": 15},
        "page.delivered": {"page": "p", "detail": "PagerDuty accepted it (Event processed)"},
        "page.failed": {"page": "p", "reason": "PagerDuty refused the page as invalid"},
        "page.acknowledged": {"page": "p", "by": "Sam"},
        "page.escalated": {"page": "p", "run": "p", "level": 1, "round": 0, "after": 30, "targets": ["Kim"],
                           "note": ""},
        "page.resolved": {"page": "p"},
        "pager.added": {"name": "PagerDuty", "kind": "pagerduty", "options": {}},
        "pager.removed": {"name": "PagerDuty"},
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
