"""One bad destination never stops the others, and a delivery keeps trying while its deadline allows,
then stays retryable: against the local homeserver fake (tests/integrations/test_teams_matrix.py)."""

from __future__ import annotations

import json

import pytest

from commander.app import incident as app_incident
from commander.app.console import Console
from commander.app.updates import publishing
from commander.domain.core.errors import DomainError
from commander.domain.core.events import EventDraft
from commander.domain.incident.decisions import Declaration
from commander.integrations.destinations.publisher import GAVE_UP
from commander.integrations.secrets import SecretStore
from tests.helpers.fakes import Reply, serve
from tests.integrations.test_teams_matrix import ROOM, TOKEN, Homeserver

V12_ROOM = "!BaNtlS8x_ZTeaEUCJg3qXW1K2PNqq5mbN0MYqYFG-Kk"  # room version 12: a hash, no :server


@pytest.fixture
def incident(console: Console) -> str:
    return app_incident.declare(
        console,
        Declaration(
            title="Checkout API returning 502s", severity="SEV1", services=("checkout",), summary="EU checkout failing"
        ),
    ).id


def _limited(milliseconds: int) -> Reply:
    return Reply(
        429,
        json.dumps({"errcode": "M_LIMIT_EXCEEDED", "error": "Too Many Requests", "retry_after_ms": milliseconds}),
        {"content-type": "application/json"},
    )


def _reasons(console: Console, incident: str) -> dict[str, str]:
    return {
        e.payload["destination"]: e.payload["reason"]
        for e in console.view(incident).events
        if e.kind == "update.failed"
    }


def test_a_room_of_version_12_is_added_and_sent_to(console: Console, incident: str) -> None:
    homeserver = Homeserver()
    homeserver.joined.add(V12_ROOM)
    with serve(homeserver) as server:
        publishing.add(
            console, "matrix", "Ops room", {"homeserver": server.base, "room": V12_ROOM}, TOKEN, SecretStore()
        )
        outcomes = publishing.send_update(console, incident, "initial", ["Ops room"], SecretStore())
    assert outcomes["Ops room"].state == "delivered" and len(homeserver.timeline) == 1
    assert server.requests[0].path.startswith(
        "/_matrix/client/v3/rooms/%21BaNtlS8x_ZTeaEUCJg3qXW1K2PNqq5mbN0MYqYFG-Kk/send/m.room.message/"
    )


@pytest.mark.parametrize(
    ("kind", "options", "words"),
    [
        ("matrix", {"homeserver": "https://matrix.example.org", "room": "incidents"}, "not a Matrix room id or alias"),
        ("matrix", {"homeserver": "https://matrix.example.org", "room": "#incidents"}, "not a Matrix room id or alias"),
        ("matrix", {"homeserver": "https://", "room": ROOM}, "homeserver 'https://' is not a web address"),
        ("webhook", {"url": "https://hooks.example.org:99999/x"}, "is not a web address"),
        ("statuspage", {"page_id": "pg1/../../admin"}, "is not a page id for Statuspage"),
        ("statuspage", {"page_id": "pg1", "components": "checkout"}, "write each as service=component-id"),
        ("cachet", {"url": "https://status.example.org", "components": "checkout=Checkout API"}, "ids are numbers"),
        ("teams", {"format": "html"}, "not a Teams card format"),
        ("discord", {"username": "Discord Bot"}, "cannot be a Discord webhook's name"),
    ],
)
def test_settings_a_send_would_refuse_are_refused_when_added(
    console: Console, kind: str, options: dict[str, str], words: str
) -> None:
    with pytest.raises(DomainError, match=words.replace("(", r"\(")):
        publishing.add(console, kind, "ops", options, "secret", SecretStore())
    assert publishing.destinations(console) == {}


def test_one_bad_destination_fails_on_its_own_and_the_others_are_delivered(console: Console, incident: str) -> None:
    secrets = SecretStore()
    homeserver = Homeserver()
    with serve(homeserver) as server:
        publishing.add(console, "matrix", "Ops room", {"homeserver": server.base, "room": ROOM}, TOKEN, secrets)
        publishing.add(console, "matrix", "Elsewhere", {"homeserver": server.base, "room": ROOM}, TOKEN, secrets)
        secrets.delete("destination:Elsewhere")  # added on another computer: no secret here
        # written by an older console (or straight into the shared store), past today's check at add
        console.record(
            [
                EventDraft(
                    "settings:destinations",
                    "destination.added",
                    {"name": "Old room", "kind": "matrix", "options": {"homeserver": server.base, "room": "incidents"}},
                )
            ]
        )
        outcomes = publishing.send_update(console, incident, "initial", ["Old room", "Ops room", "Elsewhere"], secrets)
    assert outcomes["Ops room"].state == "delivered" and len(homeserver.timeline) == 1
    assert outcomes["Old room"].state == "failed" and "not a Matrix room id or alias" in outcomes["Old room"].detail
    assert outcomes["Elsewhere"].state == "failed" and "no secret" in outcomes["Elsewhere"].detail
    reasons = _reasons(console, incident)
    assert set(reasons) == {"Old room", "Elsewhere"} and reasons["Old room"].startswith("not sent to Old room: ")


def test_a_rate_limit_longer_than_five_attempts_is_waited_out(console: Console, incident: str) -> None:
    homeserver = Homeserver()
    homeserver.limited.extend(_limited(20) for _ in range(8))
    with serve(homeserver) as server:
        publishing.add(console, "matrix", "Ops room", {"homeserver": server.base, "room": ROOM}, TOKEN, SecretStore())
        outcomes = publishing.send_update(console, incident, "initial", ["Ops room"], SecretStore())
    assert outcomes["Ops room"].state == "delivered"
    assert len(server.requests) == 9 and len(homeserver.timeline) == 1


def test_a_delivery_that_gave_up_is_offered_again_and_lands_once(console: Console, incident: str) -> None:
    homeserver = Homeserver()
    homeserver.limited.append(_limited(60_000))  # a minute: past this delivery's deadline
    with serve(homeserver) as server:
        publishing.add(console, "matrix", "Ops room", {"homeserver": server.base, "room": ROOM}, TOKEN, SecretStore())
        sending = publishing.prepare(console, incident, "initial", ["Ops room"], SecretStore())
        outcomes = publishing.deliver(sending, deadline=5.0)
        publishing.finish(console, sending, outcomes)
        (outcome,) = outcomes.values()
        assert outcome.state == "failed" and outcome.detail.startswith(GAVE_UP)
        assert "asked to wait 60 s more" in outcome.detail and len(server.requests) == 1  # no pointless wait

        (item,) = publishing.pending(console, SecretStore())
        assert item.automatic and item.gave_up.startswith(GAVE_UP) and "safe to resend" in item.describe()
        again = publishing.resume(console, [item], SecretStore())
        outcomes = publishing.deliver(again)
        publishing.finish(console, again, outcomes)
    assert outcomes[item.queued.id].state == "delivered" and len(homeserver.timeline) == 1
    assert publishing.pending(console, SecretStore()) == []
    assert {request.path for request in server.requests} == {server.requests[0].path}  # one txnId throughout


def test_a_failed_delivery_is_retried_as_it_was_queued(console: Console, incident: str) -> None:
    secrets = SecretStore()
    homeserver = Homeserver()
    with serve(homeserver) as server:
        publishing.add(console, "matrix", "Ops room", {"homeserver": server.base, "room": ROOM}, TOKEN, secrets)
        secrets.delete("destination:Ops room")
        sending = publishing.prepare(console, incident, "initial", ["Ops room"], secrets)
        outcomes = publishing.deliver(sending)
        publishing.finish(console, sending, outcomes)
        assert not homeserver.timeline and publishing.pending(console, secrets) == []  # not a transient failure
        secrets.put("destination:Ops room", TOKEN)
        again = publishing.retry(console, list(outcomes), secrets)
        retried = publishing.deliver(again)
        publishing.finish(console, again, retried)
    assert [job.delivery for job in again.jobs] == list(outcomes)
    assert retried[sending.jobs[0].delivery].state == "delivered" and len(homeserver.timeline) == 1
    kinds = [e.kind for e in console.view(incident).events if e.kind.startswith("update.")]
    assert kinds == ["update.queued", "update.failed", "update.delivered"]
