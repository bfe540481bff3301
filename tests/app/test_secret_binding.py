"""Token theft through shared settings (issue 11 item 6): a responder who re-adds a connection with their
own address (here a listener on 127.0.0.1) must receive no token on the next send, push, page or alert
read; after this person confirms the new address, the secret goes there. Plain http:// is refused for
anything but loopback, and a keyring that refuses a secret records nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import keyring.errors
import pytest

from commander.app import actions, alerts, paging
from commander.app import incident as app_incident
from commander.app.console import Console
from commander.app.setup import connections
from commander.app.updates import publishing
from commander.domain.actions.items import NewAction
from commander.domain.actions.trackers import FAMILY as TRACKERS
from commander.domain.alerts import triage
from commander.domain.core.errors import DomainError
from commander.domain.core.events import EventDraft
from commander.domain.incident.decisions import Declaration
from commander.domain.paging import pagers as pager_settings
from commander.domain.updates.destinations import FAMILY as DESTINATIONS
from commander.integrations.destinations import statuspage
from commander.integrations.secrets import SecretNotKept, SecretStore
from tests.helpers.fakes import FakeService, Reply, Request, serve
from tests.helpers.keyring_memory import MemoryKeyring
from tests.helpers.pagerduty_fake import ROUTING_KEY, PagerDutyFake
from tests.helpers.tracker_fakes import TOKEN as TRACKER_TOKEN
from tests.helpers.tracker_fakes import FakeGitHub
from tests.integrations.test_chat_destinations import SlackApiLike
from tests.integrations.test_status_pages import StatuspageFake
from tests.integrations.test_teams_matrix import ROOM, TOKEN, Homeserver

LEGIT = "https://legit.example"  # where the team first pointed the connection; never contacted here


@pytest.fixture
def incident(console: Console) -> str:
    return app_incident.declare(
        console, Declaration(title="Checkout API returning 502s", severity="SEV1", services=("checkout",))
    ).id


def carried(requests: list[Request], secret: str) -> bool:
    return any(secret in str(r.headers) or secret.encode() in r.body or secret in r.path for r in requests)


def refusal(console: Console, incident: str, name: str) -> str:
    return refusal_with(console, incident, name, SecretStore())


def refusal_with(console: Console, incident: str, name: str, secrets: SecretStore) -> str:
    """Why an update to `name` was not sent: a failed delivery's reason (or the refusal before queueing)."""
    try:
        outcome = publishing.send_update(console, incident, "initial", [name], secrets)[name]
    except DomainError as refused:
        return str(refused)
    assert outcome.state == "failed"
    return outcome.detail


def readd_destination(console: Console, name: str, options: dict[str, str]) -> None:
    """What a hostile responder does from their own console: the shared settings change, this computer's
    keyring does not."""
    known = publishing.destinations(console)
    kind = known[name].kind
    console.record(DESTINATIONS.remove(known, name))
    console.record(DESTINATIONS.add(publishing.destinations(console), kind, name, options))


DESTINATION_CASES: dict[str, tuple[Callable[[], Any], str, dict[str, str], Callable[[FakeService], dict[str, str]]]] = {
    "slack-api": (
        lambda: SlackApiLike(token="xoxb-good"),
        "xoxb-good",
        {"channel": "C0INCIDENT", "api_url": f"{LEGIT}/api"},
        lambda server: {"channel": "C0INCIDENT", "api_url": f"{server.base}/api"},
    ),
    "matrix": (
        Homeserver,
        TOKEN,
        {"homeserver": LEGIT, "room": ROOM},
        lambda server: {"homeserver": server.base, "room": ROOM},
    ),
    "statuspage": (
        lambda: StatuspageFake("sp-key", window=0.1),
        "sp-key",
        {"page_id": "pg1", "api_url": LEGIT},
        lambda server: {"page_id": "pg1", "api_url": server.base},
    ),
}


@pytest.mark.parametrize("kind", list(DESTINATION_CASES))
def test_a_readded_destination_gets_no_token_until_its_new_address_is_confirmed(
    kind: str, console: Console, incident: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statuspage, "RATE", 0.1)
    make_fake, secret, first, hostile = DESTINATION_CASES[kind]
    fake = make_fake()
    publishing.add(console, kind, "ops", first, secret, SecretStore())
    with serve(fake) as listener:
        readd_destination(console, "ops", hostile(listener))
        why = refusal(console, incident, "ops")
        assert "settings of ops changed" in why and listener.base in why
        assert "commander destination trust 'ops'" in why
        assert not carried(listener.requests, secret)
        with pytest.raises(DomainError, match="settings of ops changed"):
            publishing.test_destination(console, "ops", SecretStore())
        assert not carried(listener.requests, secret)

        was, now = connections.trust(connections.guarded(publishing.destinations(console)["ops"]), SecretStore())
        assert was == next(v for k, v in first.items() if k in ("api_url", "homeserver"))
        assert now.startswith(listener.base)
        outcomes = publishing.send_update(console, incident, "initial", ["ops"], SecretStore())
        assert outcomes["ops"].state == "delivered", outcomes["ops"].detail
        assert carried(listener.requests, secret)


def test_giving_the_secret_again_binds_it_to_the_new_address(console: Console, incident: str) -> None:
    publishing.add(console, "matrix", "ops", {"homeserver": LEGIT, "room": ROOM}, "old-token", SecretStore())
    with serve(Homeserver()) as listener:
        readd_destination(console, "ops", {"homeserver": listener.base, "room": ROOM})
        config = publishing.destinations(console)["ops"]
        assert connections.state_of(connections.guarded(config), SecretStore()).state == "held"
        connections.give(connections.guarded(config), TOKEN, SecretStore())
        assert publishing.send_update(console, incident, "initial", ["ops"], SecretStore())["ops"].state == "delivered"


def test_a_readded_tracker_gets_no_token(console: Console, incident: str) -> None:
    item = actions.create(console, incident, NewAction("Write the rollback runbook"))
    actions.add(console, "github", "gh", {"repo": "acme/shop", "api_url": LEGIT}, TRACKER_TOKEN, SecretStore())
    with serve(FakeGitHub()) as listener:
        known = actions.trackers(console)
        console.record(TRACKERS.remove(known, "gh"))
        console.record(
            TRACKERS.add(actions.trackers(console), "github", "gh", {"repo": "acme/shop", "api_url": listener.base})
        )
        with pytest.raises(DomainError, match="settings of gh changed.*commander tracker trust 'gh'"):
            actions.push(console, item.reference, "gh", SecretStore())
        assert listener.requests == []
        connections.trust(connections.guarded(actions.trackers(console)["gh"]), SecretStore())
        _, created = actions.push(console, item.reference, "gh", SecretStore())
        assert created.key and carried(listener.requests, TRACKER_TOKEN)


def test_a_readded_pager_gets_no_routing_key(console: Console, incident: str) -> None:
    paging.add_pager(console, "pagerduty", "PD", {"api_url": f"{LEGIT}/v2/enqueue"}, ROUTING_KEY, SecretStore())
    fake = PagerDutyFake()
    with serve(fake) as listener:
        known = paging.pagers(console)
        console.record(pager_settings.remove_pager(known, "PD"))
        console.record(
            pager_settings.add_pager(
                paging.pagers(console), "pagerduty", "PD", {"api_url": f"{listener.base}/v2/enqueue"}, {}
            )
        )
        with pytest.raises(DomainError, match="settings of PD changed.*commander pager trust 'PD'"):
            paging.page_person(console, incident, "Sam", "PD", SecretStore())
        assert listener.requests == []
        assert paging.trust(console, "PD", SecretStore())[1] == f"{listener.base}/v2/enqueue"
        outcomes = paging.run(console, paging.page_person(console, incident, "Sam", "PD", SecretStore()))
        assert [o.state for o in outcomes] == ["delivered"] and carried(listener.requests, ROUTING_KEY)


def test_a_readded_alert_source_gets_no_token(console: Console) -> None:
    alerts.add_source(console, "alertmanager", "prod", LEGIT, {"auth": "bearer"}, "am-token", SecretStore())
    with serve(lambda request: Reply(200, "[]", {"content-type": "application/json"})) as listener:
        known = alerts.sources(console)
        console.record(triage.remove_source(known, "prod"))
        console.record(
            triage.add_source(
                alerts.sources(console), "alertmanager", "prod", listener.base, {"auth": "bearer"}, console.policy
            )
        )
        [result] = alerts.fetch_all(console, SecretStore())
        assert not result.up and "settings of prod changed" in result.error
        assert listener.requests == []
        alerts.trust(console, "prod", SecretStore())
        [result] = alerts.fetch_all(console, SecretStore())
        assert result.up and carried(listener.requests, "am-token")


def test_a_secret_from_before_bindings_is_bound_on_first_use_unless_the_name_was_readded(
    console: Console, incident: str, memory_keyring: MemoryKeyring
) -> None:
    with serve(Homeserver()) as server:
        publishing.add(console, "matrix", "ops", {"homeserver": server.base, "room": ROOM}, TOKEN, SecretStore())
        memory_keyring.items.pop(("commander", "endpoint:destination:ops"))  # as an older Commander kept it
        assert publishing.send_update(console, incident, "initial", ["ops"], SecretStore())["ops"].state == "delivered"
        assert ("commander", "endpoint:destination:ops") in memory_keyring.items  # bound now

        memory_keyring.items.pop(("commander", "endpoint:destination:ops"))
        with serve(Homeserver()) as listener:
            readd_destination(console, "ops", {"homeserver": listener.base, "room": ROOM})
            assert "added again with other settings" in refusal(console, incident, "ops")
            assert listener.requests == []


@pytest.mark.parametrize("address", ["http://hooks.example/x", "http://10.0.0.5:8080", "http://[fe80::1]/"])
def test_plain_http_is_refused_except_for_loopback(console: Console, address: str) -> None:
    with pytest.raises(DomainError, match="plain http://"):
        publishing.add(console, "webhook", "hook", {"url": address}, "signing-key", SecretStore())
    with pytest.raises(DomainError, match="plain http://"):
        paging.add_pager(console, "pagerduty", "PD", {"api_url": address}, ROUTING_KEY, SecretStore())
    with pytest.raises(DomainError, match="plain http://"):
        alerts.add_source(console, "alertmanager", "prod", address, {"auth": "bearer"}, "t", SecretStore())
    assert publishing.destinations(console) == {} and paging.pagers(console) == {} and alerts.sources(console) == {}
    alerts.add_source(console, "alertmanager", "open", address, {}, "", SecretStore())  # no token: allowed
    for number, loopback in enumerate(
        ("http://127.0.0.1:9/x", "http://127.8.9.10/x", "http://[::1]:9/x", "http://localhost:9/x")
    ):
        publishing.add(console, "webhook", f"hook {number}", {"url": loopback}, "signing-key", SecretStore())


def test_plain_http_written_into_the_store_is_refused_before_sending(console: Console, incident: str) -> None:
    console.record(DESTINATIONS.add({}, "webhook", "hook", {"url": "http://127.0.0.1:9/x"}))
    connections.give(connections.guarded(publishing.destinations(console)["hook"]), "signing-key", SecretStore())
    known = publishing.destinations(console)
    console.record(DESTINATIONS.remove(known, "hook"))
    # a peer's console without the check (or a row written by hand) names a plain http:// address elsewhere
    console.record(
        [
            EventDraft(
                DESTINATIONS.stream,
                "destination.added",
                {"name": "hook", "kind": "webhook", "options": {"url": "http://hooks.example/x"}},
            )
        ]
    )
    assert "plain http://" in refusal(console, incident, "hook")


class RefusingKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("the keyring is locked")


@pytest.fixture
def refusing() -> Iterator[SecretStore]:
    yield SecretStore(RefusingKeyring(), session={})


def test_a_keyring_that_refuses_the_secret_refuses_the_add(console: Console, refusing: SecretStore) -> None:
    with pytest.raises(SecretNotKept, match="keyring refused to store the secret"):
        publishing.add(console, "slack", "#ops", {}, "https://hooks.slack.example/T/B/X", refusing)
    with pytest.raises(SecretNotKept):
        actions.add(console, "github", "gh", {"repo": "acme/shop"}, "ghp_x", refusing)
    with pytest.raises(SecretNotKept):
        paging.add_pager(console, "pagerduty", "PD", {}, ROUTING_KEY, refusing)
    with pytest.raises(SecretNotKept):
        alerts.add_source(console, "alertmanager", "prod", "https://am.example", {"auth": "bearer"}, "t", refusing)
    assert publishing.destinations(console) == {} and actions.trackers(console) == {}
    assert paging.pagers(console) == {} and alerts.sources(console) == {}
    assert refusing._session == {}  # not quietly kept for the session either


def test_without_any_keyring_the_secret_is_kept_for_the_session_and_still_bound(
    console: Console, incident: str
) -> None:
    from keyring.backends.fail import Keyring as NoKeyring

    session: dict[str, str] = {}
    with serve(Homeserver()) as server:
        _, kept = publishing.add(
            console,
            "matrix",
            "ops",
            {"homeserver": server.base, "room": ROOM},
            TOKEN,
            SecretStore(NoKeyring(), session=session),
        )
        assert kept is False and "ops" in publishing.destinations(console)
        assert (
            publishing.send_update(console, incident, "initial", ["ops"], SecretStore(NoKeyring(), session=session))[
                "ops"
            ].state
            == "delivered"
        )
        with serve(Homeserver()) as listener:
            readd_destination(console, "ops", {"homeserver": listener.base, "room": ROOM})
            assert "settings of ops changed" in refusal_with(
                console, incident, "ops", SecretStore(NoKeyring(), session=session)
            )
            assert listener.requests == []
