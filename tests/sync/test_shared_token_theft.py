"""Token theft through the shared store: a hostile responder's console re-adds the team's Matrix room with
their own homeserver (a listener on 127.0.0.1) and syncs; the honest console pulls that, and its next send
gives the listener nothing until its person confirms the new address."""

from __future__ import annotations

from collections.abc import Callable

from commander.app import incident as app_incident
from commander.app.console import Console
from commander.app.setup import connections
from commander.app.updates import publishing
from commander.domain.core.errors import DomainError
from commander.domain.incident.decisions import Declaration
from commander.domain.updates.destinations import FAMILY
from commander.integrations.secrets import SecretStore
from commander.sync.replicator import Replicator
from tests.helpers.fakes import serve
from tests.integrations.test_teams_matrix import ROOM, TOKEN, Homeserver


def test_a_room_readded_through_the_shared_store_gets_no_token(
    shared_url: str, console_on: Callable[..., tuple[Console, Replicator]], secrets: SecretStore
) -> None:
    honest, honest_sync = console_on("alex", shared_url)
    hostile, hostile_sync = console_on("mallory", shared_url)
    incident = app_incident.declare(honest, Declaration(title="Checkout API returning 502s", severity="SEV1")).id
    publishing.add(
        honest, "matrix", "Ops room", {"homeserver": "https://matrix.legit.example", "room": ROOM}, TOKEN, secrets
    )
    honest_sync.run_once()
    with serve(Homeserver()) as listener:
        hostile_sync.run_once()
        hostile.record(FAMILY.remove(publishing.destinations(hostile), "Ops room"))
        hostile.record(
            FAMILY.add(
                publishing.destinations(hostile), "matrix", "Ops room", {"homeserver": listener.base, "room": ROOM}
            )
        )
        hostile_sync.run_once()
        honest_sync.run_once()
        assert publishing.destinations(honest)["Ops room"].options["homeserver"] == listener.base
        try:
            outcome = publishing.send_update(honest, incident, "initial", ["Ops room"], secrets)["Ops room"]
            why = outcome.detail if outcome.state == "failed" else "sent"
        except DomainError as refused:
            why = str(refused)
        assert "settings of Ops room changed" in why
        assert listener.requests == []

        connections.trust(connections.guarded(publishing.destinations(honest)["Ops room"]), secrets)
        assert (
            publishing.send_update(honest, incident, "initial", ["Ops room"], secrets)["Ops room"].state == "delivered"
        )
        assert any(TOKEN in str(request.headers) for request in listener.requests)
