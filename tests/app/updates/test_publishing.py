"""Publishing through the console against local services: a status page incident created, updated and
resolved across three sends; a Matrix send interrupted and resumed by itself without posting twice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from commander.app import incident as app_incident
from commander.app.console import Console
from commander.app.updates import publishing
from commander.domain.incident.decisions import Declaration
from commander.integrations.destinations import statuspage
from commander.integrations.secrets import SecretStore
from tests.helpers.fakes import serve
from tests.integrations.test_status_pages import StatuspageFake
from tests.integrations.test_teams_matrix import ROOM, TOKEN, Homeserver


@pytest.fixture
def incident(console: Console) -> str:
    return app_incident.declare(
        console,
        Declaration(
            title="Checkout API returning 502s",
            severity="SEV1",
            services=("checkout", "search"),
            summary="EU checkout failing",
        ),
    ).id


def test_one_page_incident_follows_ours_to_resolution(
    console: Console, incident: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statuspage, "RATE", 0.1)
    fake = StatuspageFake("sp-key-app", window=0.1)
    with serve(fake) as server:
        publishing.add(
            console,
            "statuspage",
            "Status page",
            {"page_id": fake.page, "components": "payments=c-pay,checkout=c-chk", "api_url": server.base},
            "sp-key-app",
            SecretStore(),
        )
        first = publishing.send_update(console, incident, "initial", ["Status page"], SecretStore())
        assert first["Status page"].state == "delivered"
        assert fake.components["c-chk"] == "major_outage" and fake.components["c-pay"] == "operational"
        assert publishing.open_on_status_pages(console, incident) == ["Status page"]

        app_incident.change_status(console, incident, "mitigated")
        publishing.send_update(console, incident, "periodic", ["Status page"], SecretStore())
        app_incident.change_status(console, incident, "resolved")
        last = publishing.send_update(console, incident, "resolution", ["Status page"], SecretStore())
    assert last["Status page"].state == "delivered"
    assert len(fake.incidents) == 1  # created once, then updated: the remote id came back from the log
    (page_incident,) = fake.incidents.values()
    assert page_incident["status"] == "resolved" and page_incident["name"].startswith("[INC-")
    assert [u["status"] for u in page_incident["incident_updates"]] == ["resolved", "monitoring", "investigating"]
    assert fake.components["c-chk"] == "operational"
    assert publishing.open_on_status_pages(console, incident) == []


def test_an_interrupted_matrix_send_resumes_by_itself_and_posts_once(console: Console, incident: str) -> None:
    homeserver = Homeserver()
    homeserver.answers_to_lose = 1  # the event is stored, then the connection drops: as if we were killed
    with serve(homeserver) as server:
        publishing.add(console, "matrix", "Ops room", {"homeserver": server.base, "room": ROOM}, TOKEN, SecretStore())
        sending = publishing.prepare(console, incident, "initial", ["Ops room"], SecretStore())
        publishing.deliver(sending, timeout=2.0)  # lost answer, retried: the txnId gives the same event
        # ... but Commander "died" before recording the outcome: the queued event has none.
        (pending,) = publishing.pending(console, SecretStore())
        assert pending.automatic and pending.safe and "safe to resend" in pending.describe()
        resumed = publishing.resume(console, [pending], SecretStore())
        outcomes = publishing.deliver(resumed, timeout=2.0)
        publishing.finish(console, resumed, outcomes)
    assert outcomes[pending.queued.id].state == "delivered"
    assert len(homeserver.timeline) == 1  # one message in the room, whatever was retried or resumed
    assert publishing.pending(console, SecretStore()) == []


def test_old_or_unsure_deliveries_wait_for_a_person(console: Console, incident: str) -> None:
    with serve(Homeserver()) as server:
        publishing.add(console, "matrix", "Ops room", {"homeserver": server.base, "room": ROOM}, TOKEN, SecretStore())
        publishing.add(console, "slack", "#incidents", {}, server.url, SecretStore())
        publishing.prepare(console, incident, "initial", ["Ops room", "#incidents"], SecretStore())
    found = {item.destination: item for item in publishing.pending(console, SecretStore())}
    assert found["Ops room"].automatic and not found["#incidents"].automatic
    assert "may post it twice" in found["#incidents"].describe()
    later = console.now() + timedelta(hours=2)
    console.wall = lambda: later  # type: ignore[method-assign]
    stale = {item.destination: item for item in publishing.pending(console, SecretStore())}
    assert stale["Ops room"].stale and not stale["Ops room"].automatic
    publishing.abandon(console, list(stale.values()))
    assert publishing.pending(console, SecretStore()) == []
