"""Alerts in the domain: reading API v2, webhook and PagerDuty shapes; grouping; severity from labels;
the declaration proposed; silence matchers; the incident's alerts and silences on the fold, timeline and
snapshot."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from commander.domain.alerts import triage
from commander.domain.alerts.alerts import (
    Alert,
    AlertMapping,
    find,
    fingerprint,
    from_api,
    group_alerts,
    parse_pushed,
    propose,
)
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Actor, Event, EventDraft
from commander.domain.core.policy import Policy
from commander.domain.incident import snapshot
from commander.domain.timeline.entries import IncidentView

NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
INCIDENT = "0190b8e4-4a7f-7c3e-9d2a-1b2c3d4e5f60"
_SEQUENCE = itertools.count()


def api_alert(
    name: str,
    fp: str,
    *,
    severity: str = "critical",
    service: str | None = "checkout",
    started: str = "2026-11-28T09:12:00.184Z",
    **extra: str,
) -> dict[str, Any]:
    labels = {"alertname": name, "severity": severity, **extra}
    if service:
        labels["service"] = service
    return {
        "fingerprint": fp,
        "labels": labels,
        "startsAt": started,
        "endsAt": "2026-11-28T09:40:00Z",
        "annotations": {"summary": f"{name} summary", "runbook_url": "https://runbooks.example/high-errors"},
        "generatorURL": "http://prometheus:9090/graph",
        "receivers": [{"name": "null"}],
        "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
        "updatedAt": started,
    }


def alerts(*items: dict[str, Any], source: str = "prod") -> list[Alert]:
    return [from_api(item, source) for item in items]


def defaults(_: str) -> AlertMapping:
    return AlertMapping()


def test_an_api_v2_alert_keeps_what_triage_needs() -> None:
    [alert] = alerts(api_alert("HighErrorRate", "61ebe030e8e952ed"))
    assert alert.key == ("prod", "61ebe030e8e952ed")
    assert alert.name == "HighErrorRate" and alert.labels["service"] == "checkout"
    assert alert.summary == "HighErrorRate summary"
    assert alert.runbook_url == "https://runbooks.example/high-errors"
    assert alert.starts_at == datetime(2026, 11, 28, 9, 12, 0, 184000, tzinfo=UTC)
    assert alert.generator_url == "http://prometheus:9090/graph"
    assert alert.firing and not alert.silenced


def test_the_fingerprint_is_alertmanagers_own() -> None:
    # What Alertmanager 0.25 answered for this label set (GET /api/v2/alerts).
    labels = {"alertname": "HighErrorRate", "service": "checkout", "severity": "critical", "t": "x"}
    assert fingerprint(labels) == "61ebe030e8e952ed"


def test_unreadable_fields_do_not_stop_the_list() -> None:
    alert = from_api({"labels": {"alertname": "X", "n": 3}, "startsAt": "yesterday", "status": None}, "prod")
    assert alert.labels == {"alertname": "X", "n": "3"}
    assert alert.starts_at.year == 1970  # unknown, not an error
    assert alert.fingerprint == fingerprint({"alertname": "X", "n": "3"})


def test_groups_by_name_and_service_most_severe_first(policy: Policy) -> None:
    found = alerts(
        api_alert("DiskFilling", "a1", severity="warning", service=None, job="node"),
        api_alert("HighErrorRate", "b1"),
        api_alert("HighErrorRate", "b2", instance="b"),
        api_alert("HighErrorRate", "c1", service="search", severity="info"),
    )
    groups = group_alerts(found, defaults, policy)
    assert [(g.name, g.service, g.severity, len(g.alerts)) for g in groups] == [
        ("HighErrorRate", "checkout", "SEV2", 2),
        ("DiskFilling", "node", "SEV3", 1),
        ("HighErrorRate", "search", "SEV4", 1),
    ]


def test_the_mapping_is_configurable(policy: Policy) -> None:
    mapping = AlertMapping.from_options(
        {"severity_map": "critical=SEV1, p3=sev3", "service_labels": "app", "severity_label": "priority"}, policy
    )
    [alert] = alerts(api_alert("X", "f1", service=None, app="ledger", priority="critical"))
    assert mapping.severity(alert) == "SEV1" and mapping.service(alert) == "ledger"
    assert mapping.levels["p3"] == "SEV3" and mapping.levels["warning"] == "SEV3"  # defaults stay
    with pytest.raises(DomainError, match="Unknown severity 'SEV9'"):
        AlertMapping.from_options({"severity_map": "critical=SEV9"}, policy)
    with pytest.raises(DomainError, match="is not VALUE=LEVEL"):
        AlertMapping.from_options({"severity_map": "critical"}, policy)


def test_page_maps_to_the_first_level_that_pages_not_to_all_hands(policy: Policy) -> None:
    [alert] = alerts(api_alert("X", "f1", severity="page"))
    assert AlertMapping().severity(alert) == "SEV2"


def test_the_proposal_comes_from_the_worst_group(policy: Policy) -> None:
    found = alerts(
        api_alert("DiskFilling", "a1", severity="warning", service="db"),
        api_alert("HighErrorRate", "b1"),
        api_alert("HighErrorRate", "b2", instance="b"),
    )
    offer = propose(found, defaults, policy, now=NOW)
    assert offer.title == "HighErrorRate: HighErrorRate summary (and 1 more alert)"
    assert offer.severity == "SEV2"
    assert offer.services == ("checkout", "db")
    assert offer.summary == ""  # the impact is the person's to say: no description to start from
    assert offer.detected_at == datetime(2026, 11, 28, 9, 12, 0, 184000, tzinfo=UTC)


def test_a_proposal_never_detects_in_the_future_nor_without_a_severity(policy: Policy) -> None:
    [alert] = alerts(api_alert("X", "f1", severity="unknown", started="2026-11-28T10:00:00Z"))
    alert = replace(alert, annotations={"description": "Checkout fails for EU customers"})
    offer = propose([alert], defaults, policy, now=NOW)
    assert offer.summary == "Checkout fails for EU customers"
    assert offer.detected_at == NOW  # the source's clock runs ahead
    assert offer.severity == policy.default_severity
    with pytest.raises(DomainError, match="No alerts chosen"):
        propose([], defaults, policy, now=NOW)


def test_alerts_are_found_by_an_unambiguous_start_of_their_fingerprint() -> None:
    found = alerts(api_alert("A", "61ebe030e8e952ed"), api_alert("B", "61eb99"))
    assert [a.name for a in find(found, ["61ebe"])] == ["A"]
    for wanted, message in (("61eb", "matches 2 alerts"), ("ffff", "No firing alert"), ("61", "too short")):
        with pytest.raises(DomainError, match=message):
            find(found, [wanted])


def test_silence_matchers_are_the_common_labels() -> None:
    found = alerts(api_alert("HighErrorRate", "b1", instance="a"), api_alert("HighErrorRate", "b2", instance="b"))
    assert [str(m) for m in triage.silence_matchers(found)] == [
        'alertname="HighErrorRate"',
        'service="checkout"',
        'severity="critical"',
    ]


def test_different_names_become_one_anchored_regex() -> None:
    found = alerts(api_alert("High.Errors", "b1"), api_alert("Latency", "b2"))
    matchers = triage.silence_matchers(found)
    assert str(matchers[0]) == 'alertname=~"High\\\\.Errors|Latency"'
    assert matchers[0].to_api() == {
        "name": "alertname",
        "value": "High\\.Errors|Latency",
        "isRegex": True,
        "isEqual": True,
    }


def test_matchers_read_back_as_written() -> None:
    written = 'env="prod", team=~"pay.*",zone!="eu \\"west\\"", x!~"a,b"'
    parsed = triage.parse_matchers(written)
    assert [str(m) for m in parsed] == ['env="prod"', 'team=~"pay.*"', 'zone!="eu \\"west\\""', 'x!~"a,b"']
    assert parsed[2].value == 'eu "west"'
    assert triage.parse_matchers(", ".join(str(m) for m in parsed)) == parsed
    with pytest.raises(DomainError, match="is not a matcher"):
        triage.parse_matchers("env prod")


def test_webhook_json_is_read(policy: Policy) -> None:
    message = {
        "receiver": "commander",
        "status": "firing",
        "version": "4",
        "groupKey": "{}:{}",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "ProbeFailure", "job": "http_checks"},
                "annotations": {"summary": "Probe failing"},
                "startsAt": "2023-02-06T13:08:45.828123456Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prom/graph",
                "fingerprint": "1a30ba71cca2921f",
            },
            {
                "status": "resolved",
                "labels": {"alertname": "Old"},
                "annotations": {},
                "startsAt": "2023-02-06T12:00:00Z",
            },
        ],
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://am",
    }
    first, second = parse_pushed(json.dumps(message), "file")
    assert (first.fingerprint, first.status, first.firing, first.summary) == (
        "1a30ba71cca2921f",
        "firing",
        True,
        "Probe failing",
    )
    assert (second.status, second.firing, second.fingerprint) == ("resolved", False, fingerprint({"alertname": "Old"}))


def test_pagerduty_events_are_read_and_the_routing_key_is_dropped() -> None:
    event = {
        "routing_key": "R0UTINGKEY",
        "event_action": "trigger",
        "dedup_key": "checkout-502",
        "payload": {
            "summary": "Checkout 502s above 5%",
            "source": "lb-1",
            "severity": "critical",
            "timestamp": "2026-11-28T09:10:00+00:00",
            "component": "nginx",
            "group": "checkout",
            "class": "HighErrorRate",
            "custom_details": {"rate": 0.07},
        },
        "links": [{"href": "https://runbooks.example/502", "text": "Runbook"}],
        "client_url": "https://monitoring.example/checkout",
    }
    [alert] = parse_pushed(json.dumps([event]), "file")
    assert alert.fingerprint == "checkout-502" and alert.name == "HighErrorRate"
    assert alert.labels == {
        "alertname": "HighErrorRate",
        "severity": "critical",
        "instance": "lb-1",
        "component": "nginx",
        "group": "checkout",
        "service": "checkout",
    }
    assert alert.annotations == {
        "summary": "Checkout 502s above 5%",
        "details": '{"rate": 0.07}',
        "runbook_url": "https://runbooks.example/502",
    }
    assert alert.generator_url == "https://monitoring.example/checkout"
    assert "R0UTINGKEY" not in json.dumps(alert.to_payload())
    [resolved] = parse_pushed(
        json.dumps({"routing_key": "R", "event_action": "resolve", "dedup_key": "checkout-502"}), "file"
    )
    assert resolved.fingerprint == "checkout-502" and not resolved.firing


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "That is not JSON"),
        ('{"hello": 1}', "neither an Alertmanager webhook message"),
        ('[{"alerts": []}, {"event_action": "page"}]', "Message 2 has event_action 'page'"),
        ('{"event_action": "trigger", "payload": {}}', "without payload.summary"),
        ('{"event_action": "resolve"}', "without the dedup_key"),
        ('{"alerts": []}', "No alerts in that JSON"),
    ],
)
def test_pushed_json_that_cannot_be_read_says_why(text: str, message: str) -> None:
    with pytest.raises(DomainError, match=message):
        parse_pushed(text, "file")


def test_ingested_alerts_end_when_resolved() -> None:
    firing = alerts(api_alert("A", "f1"), api_alert("B", "f2"), source="file")
    resolved = Alert("f1", "A", {}, {}, NOW, "", "resolved", "file")
    log = stamp(triage.ingested(firing) + triage.ingested([resolved]))
    assert [a.fingerprint for a in triage.fold_ingested(log)] == ["f2"]


def test_sources_are_checked_when_added(policy: Policy) -> None:
    add = triage.add_source
    drafts = add({}, "alertmanager", "prod", "http://am:9093/", {"filter": 'env="prod"'}, policy)
    assert drafts[0].payload == {
        "name": "prod",
        "kind": "alertmanager",
        "url": "http://am:9093",
        "options": {"filter": 'env="prod"', "auth": "none"},
    }
    known = triage.fold_sources(stamp(drafts))
    assert known["prod"].filters == (triage.Matcher("env", "prod"),)
    for args, message in (
        (("pagerduty", "x", "http://a:1", {}), "Unknown alert source kind"),
        (("alertmanager", "file", "http://a:1", {}), "cannot be an alert source's name"),
        (("alertmanager", "prod", "http://a:1", {}), "already an alert source called prod"),
        (("alertmanager", "b", "am:9093", {}), "must be Alertmanager's web address"),
        (("alertmanager", "b", "http://am:9093", {"auth": "basic"}), "needs a user name"),
        (("alertmanager", "b", "http://am:9093", {"auth": "oauth"}), "Unknown auth 'oauth'"),
        (("alertmanager", "b", "http://am:9093", {"colour": "red"}), "has no setting colour"),
        (("alertmanager", "b", "http://am:9093", {"filter": "env prod"}), "is not a matcher"),
    ):
        with pytest.raises(DomainError, match=message):
            add(known, *args, policy=policy)  # type: ignore[misc]


# -- on an incident ---------------------------------------------------------------------------------


def stamp(drafts: list[EventDraft]) -> list[Event]:
    """Events in log order, each after every event stamped before it in this run."""
    stamped = []
    for draft in drafts:
        n = next(_SEQUENCE)
        stamped.append(
            Event(
                f"e{n:05d}",
                draft.stream,
                draft.kind,
                dict(draft.payload),
                Actor("u1", "Alex"),
                1000 + n,
                NOW + timedelta(seconds=n),
                NOW + timedelta(seconds=n),
                "c1",
            )
        )
    return stamped


def declared_view(policy: Policy) -> tuple[IncidentView, list[Event]]:
    from commander.domain.incident.decisions import Declaration, declare

    log = stamp(declare(INCIDENT, Declaration("Checkout 502s", "SEV2"), me="Alex", policy=policy, now=NOW))
    view = IncidentView(INCIDENT, policy)
    view.load(log)
    return view, log


def test_attached_alerts_silences_and_their_expiry_are_on_the_fold_and_timeline(policy: Policy) -> None:
    view, log = declared_view(policy)
    found = alerts(api_alert("HighErrorRate", "b1", instance="a"))
    log += stamp(triage.attach(view.state, found))
    view.apply(log[-1:])
    with pytest.raises(DomainError, match="already attached"):
        triage.attach(view.state, found)
    plan = triage.plan_silences(
        view.state, triage.attached_alerts(view.state), minutes=60, comment="rolling back", me="Alex", now=NOW
    )[0]
    assert plan.comment.endswith(": rolling back") and plan.comment.startswith(view.state.reference)
    assert [str(m) for m in plan.matchers] == [
        'alertname="HighErrorRate"',
        'instance="a"',
        'service="checkout"',
        'severity="critical"',
    ]
    for drafts in (
        triage.silence_created(view.state, plan, "s-1"),
        triage.mark_noise(found, "flaps", view.state),
        triage.silence_expired(view.state, "prod", "s-1"),
    ):
        [event] = stamp(drafts)
        log.append(event)
        view.apply([event])
    texts = [e.text for e in view.entries if e.category == "alert"]
    assert texts == [
        "Alert attached from prod: HighErrorRate (service=checkout, instance=a, severity=critical): "
        "HighErrorRate summary",
        f"Silence created in prod until 2026-11-28T10:30:00Z: {', '.join(str(m) for m in plan.matchers)} "
        f"({plan.comment})",
        "Alert marked as noise: HighErrorRate from prod: flaps",
        f"Silence expired in prod: {', '.join(str(m) for m in plan.matchers)}",
    ]
    assert triage.open_silences(view.state, NOW) == []
    data = json.loads(json.dumps(snapshot.dump(view)))
    restored = snapshot.restore(INCIDENT, data, policy, view.time_format, lambda: log)
    assert restored is not None
    assert restored.state.alerts == view.state.alerts and restored.state.silences == view.state.silences


def test_a_silence_plan_is_refused_when_it_cannot_be_made(policy: Policy) -> None:
    view, _ = declared_view(policy)
    found = alerts(api_alert("X", "f1"))
    plan = triage.plan_silences
    with pytest.raises(DomainError, match="from 1 minute to 10,080"):
        plan(view.state, found, minutes=0, comment="", me="Alex", now=NOW)
    with pytest.raises(DomainError, match="No alerts to silence"):
        plan(view.state, [], minutes=60, comment="", me="Alex", now=NOW)
    with pytest.raises(DomainError, match="ingested from a file"):
        plan(view.state, alerts(api_alert("X", "f1"), source="file"), minutes=60, comment="", me="Alex", now=NOW)
    [two] = plan(view.state, found, minutes=60, comment="", me="Alex", now=NOW)
    assert two.comment == f"{view.state.reference} (Checkout 502s)"
    assert "silence 1 alert and any other matching" in two.describe()
