"""Triage against a real Alertmanager: alerts posted to its API v2 are seen in Commander, an incident is
declared from them, and a silence created from the incident takes effect there and is lifted again.
Beside it, local fakes for what a real one will not do here: auth, a login page, a hang."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from commander.app import alerts as triage_app
from commander.app.bootstrap import build_console
from commander.app.console import Console
from commander.domain.alerts.alerts import group_alerts
from commander.domain.core.errors import DomainError
from commander.integrations.secrets import SecretStore
from tests.helpers import alertmanager as shared
from tests.helpers.alertmanager import RunningAlertmanager, alert, new_test_label
from tests.helpers.fakes import Reply, Request, serve

alertmanager = shared.alertmanager  # the session's one Alertmanager process


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    made = build_console(f"sqlite:///{tmp_path}/c.db")
    yield made
    made.close()


@pytest.fixture
def secrets() -> SecretStore:
    return SecretStore()


@pytest.fixture
def firing(alertmanager: RunningAlertmanager, console: Console, secrets: SecretStore) -> str:
    """Three alerts firing for this test only, and a source that reads just them; returns the test label."""
    test = new_test_label()
    alertmanager.post(
        alert(
            test,
            "HighErrorRate",
            service="checkout",
            severity="critical",
            instance="lb-1",
            summary="5xx above 5%",
            runbook_url="https://runbooks.example/high-errors",
        ),
        alert(test, "HighErrorRate", service="checkout", severity="critical", instance="lb-2", summary="5xx above 5%"),
        alert(test, "DiskFilling", job="node", severity="warning", summary="/var 91% full"),
    )
    triage_app.add_source(console, "alertmanager", "prod", alertmanager.url, {"filter": f'test="{test}"'}, "", secrets)
    return test


def test_firing_alerts_are_read_grouped_with_their_details(console: Console, secrets: SecretStore, firing: str) -> None:
    [result] = triage_app.fetch_all(console, secrets)
    assert result.up and result.describe() == "up"
    assert len(result.alerts) == 3
    groups = group_alerts(result.alerts, triage_app.mapping_for(console), console.policy)
    assert [(g.name, g.service, g.severity, len(g.alerts)) for g in groups] == [
        ("HighErrorRate", "checkout", "SEV2", 2),
        ("DiskFilling", "node", "SEV3", 1),
    ]
    lead = next(a for a in groups[0].alerts if a.labels["instance"] == "lb-1")
    assert lead.runbook_url == "https://runbooks.example/high-errors"
    assert lead.generator_url.startswith("http://prometheus.example:9090/graph")
    assert lead.status == "active" and len(lead.fingerprint) == 16
    assert abs((lead.starts_at - console.now()).total_seconds()) < 120


def test_an_incident_is_declared_from_alerts_with_them_attached(
    console: Console, secrets: SecretStore, firing: str
) -> None:
    chosen = [a for a in triage_app.firing(triage_app.fetch_all(console, secrets)) if a.name == "HighErrorRate"]
    state = triage_app.declare_from_alerts(console, chosen)
    assert state.title == "HighErrorRate: 5xx above 5%"
    assert state.severity == "SEV2" and state.services == ["checkout"]
    assert sorted(a.labels["instance"] for a in state.alerts.values()) == ["lb-1", "lb-2"]
    texts = [e.text for e in console.view(state.id).entries]
    assert texts[0].startswith("Detected time set to ")  # when the first alert started
    assert "SEV2 declared: HighErrorRate: 5xx above 5%" in texts
    assert sum(t.startswith("Alert attached from prod: HighErrorRate") for t in texts) == 2
    with pytest.raises(DomainError, match="already attached"):
        triage_app.attach_alerts(console, state.id, chosen)


def test_a_silence_for_the_incident_takes_effect_and_expiring_lifts_it(
    alertmanager: RunningAlertmanager, console: Console, secrets: SecretStore, firing: str
) -> None:
    chosen = [a for a in triage_app.firing(triage_app.fetch_all(console, secrets)) if a.name == "HighErrorRate"]
    state = triage_app.declare_from_alerts(console, chosen)
    [plan] = triage_app.plan_silences(console, state.id, None, 30, "rolling back v2.31")
    assert [str(m) for m in plan.matchers] == [
        'alertname="HighErrorRate"',
        'service="checkout"',
        'severity="critical"',
        f'test="{firing}"',
    ]
    [silence_id] = triage_app.silence_for(console, state.id, [plan], secrets)

    seen = {a["labels"]["alertname"]: a["status"] for a in alertmanager.alerts(firing)}
    assert seen["HighErrorRate"] == {"state": "suppressed", "silencedBy": [silence_id], "inhibitedBy": []}
    assert seen["DiskFilling"]["state"] == "active"
    [result] = triage_app.fetch_all(console, secrets)
    assert [a.name for a in result.alerts] == ["DiskFilling"]  # silenced ones leave the triage list
    made = next(s for s in alertmanager.silences() if s["id"] == silence_id)
    assert made["comment"] == f"{state.reference}: rolling back v2.31" and made["createdBy"] == "Alex"
    assert made["status"]["state"] == "active"
    [listed] = [s for s in triage_app.list_silences(console, secrets)[0] if s.silence_id == silence_id]
    assert listed.incident == state.reference and listed.state == "active"
    assert [r.silence_id for r in triage_app.open_silences(console, state.id)] == [silence_id]

    assert triage_app.expire(console, silence_id, secrets) == "prod"
    assert all(a["status"]["state"] == "active" for a in alertmanager.alerts(firing))
    assert next(s for s in alertmanager.silences() if s["id"] == silence_id)["status"]["state"] == "expired"
    assert triage_app.open_silences(console, state.id) == []
    texts = [e.text for e in console.view(state.id).entries if e.category == "alert"]
    assert texts[-2].startswith("Silence created in prod until ")
    assert texts[-1] == f"Silence expired in prod: {', '.join(str(m) for m in plan.matchers)}"


def test_alertmanagers_refusal_is_shown_in_its_own_words(console: Console, secrets: SecretStore, firing: str) -> None:
    from dataclasses import replace

    from commander.domain.alerts.triage import Matcher

    chosen = triage_app.firing(triage_app.fetch_all(console, secrets))
    state = triage_app.declare_from_alerts(console, chosen[:1])
    [plan] = triage_app.plan_silences(console, state.id, None, 30, "")
    broken = replace(plan, matchers=(Matcher("alertname", "(", is_regex=True),))
    with pytest.raises(
        DomainError,
        match=r"Could not create the silence in prod: Alertmanager refused POST "
        r"/api/v2/silences \(400\): .*",
    ):
        triage_app.silence_for(console, state.id, [broken], secrets)
    assert console.state(state.id).silences == {}


def test_a_source_nobody_listens_on_is_down_with_the_reason(console: Console, secrets: SecretStore) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    triage_app.add_source(console, "alertmanager", "gone", f"http://127.0.0.1:{port}", {}, "", secrets)
    [result] = triage_app.fetch_all(console, secrets)
    assert not result.up and result.alerts == []
    assert result.describe() == (
        f"down: cannot connect to http://127.0.0.1:{port} (connection refused). Check the "
        f"address and that Alertmanager is running."
    )


def test_basic_auth_and_bearer_tokens_are_sent(console: Console, secrets: SecretStore) -> None:
    def script(request: Request) -> Reply:
        if request.headers.get("authorization") in ("Basic b3BzOnMzY3JldA==", "Bearer t0ken"):
            return Reply(200, "[]", {"content-type": "application/json"})
        return Reply(401, "Unauthorized")

    with serve(script) as service:
        triage_app.add_source(
            console, "alertmanager", "basic", service.base, {"auth": "basic", "user": "ops"}, "s3cret", secrets
        )
        triage_app.add_source(console, "alertmanager", "bearer", service.base, {"auth": "bearer"}, "t0ken", secrets)
        triage_app.add_source(console, "alertmanager", "wrong", service.base, {"auth": "bearer"}, "nope", secrets)
        results = {r.source: r for r in triage_app.fetch_all(console, secrets)}
    assert results["basic"].up and results["bearer"].up
    assert results["wrong"].describe() == (
        f"down: {service.base} refused the credentials (401). Give the source's "
        f"password or token again (`commander alerts source secret`)."
    )
    assert secrets.get("alert_source:basic") == "s3cret"
    assert all(r.path.startswith("/api/v2/alerts?active=true&silenced=false&inhibited=false") for r in service.requests)


def test_a_source_without_its_secret_here_says_how_to_give_it(console: Console, secrets: SecretStore) -> None:
    triage_app.add_source(console, "alertmanager", "prod", "http://127.0.0.1:9", {"auth": "bearer"}, "t", secrets)
    secrets.delete("alert_source:prod")
    [result] = triage_app.fetch_all(console, secrets)
    assert result.describe() == (
        "down: this computer has no token for prod (secrets stay in each computer's "
        "keyring). Give it with `commander alerts source secret prod`."
    )
    assert triage_app.set_secret(console, "prod", "t", secrets) is True


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(200, "<html>Sign in</html>", {"content-type": "text/html"}), "answered with something that is not JSON"),
        (Reply(200, '{"status": "success"}', {"content-type": "application/json"}), "not with Alertmanager's list"),
        (Reply(404, "404 page not found"), "has no Alertmanager API v2 at /api/v2/alerts (404)"),
        (
            Reply(500, '"storage failure"', {"content-type": "application/json"}),
            "Alertmanager refused GET /api/v2/alerts (500): storage failure",
        ),
        (Reply(200, "[]", delay=2.0), "no answer from"),
    ],
)
def test_every_way_a_source_fails_reads_as_down_with_a_reason(
    console: Console, secrets: SecretStore, reply: Reply, reason: str
) -> None:
    with serve(lambda request: reply) as service:
        triage_app.add_source(console, "alertmanager", "odd", service.base, {}, "", secrets)
        [result] = triage_app.fetch_all(console, secrets, timeout=0.5)
    assert result.state == "down" and reason in result.error, result.error


def test_a_json_array_is_read_item_by_item_as_json_loads_would() -> None:
    from commander.integrations.alertmanager import json_array

    for text in ("[]", " [ ]\n", '[1, {"a": [2, "]"]} ,"x"]', '{"a": 1}', '"text"'):
        assert json_array(text) == json.loads(text)
    for broken in ("[1,]", "[1 2]", "[1] trailing", "", "[1"):
        with pytest.raises(ValueError):
            json_array(broken)
