"""The composition root's services: every request a use case makes goes through the console's `Services`,
so whoever builds the console decides how Commander reaches the network and the keyring."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from commander.app import actions, incident
from commander.app.console import Console
from commander.app.setup.services import Services
from commander.app.updates import publishing
from commander.domain.actions.items import NewAction
from commander.domain.incident.decisions import Declaration

HOOK = "http://127.0.0.1:9/hook"  # never dialled: the recording client answers


class Recording(Services):
    """Services whose HTTP clients answer from memory and keep every request."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response] = lambda r: httpx.Response(200, text="ok")):
        super().__init__()
        self.answer = answer
        self.requests: list[httpx.Request] = []
        self.timeouts: list[float] = []

    def http(self, timeout: float) -> httpx.AsyncClient:
        def answer(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return self.answer(request)

        self.timeouts.append(timeout)
        return httpx.AsyncClient(transport=httpx.MockTransport(answer), timeout=timeout)


def test_an_update_goes_out_through_the_consoles_services(open_console: Callable[..., Console]) -> None:
    services = Recording()
    console = open_console(services=services)
    assert console.services is services and console.secrets is services.secrets
    incident_id = incident.declare(console, Declaration("Checkout API returning 502s", "SEV2")).id
    publishing.add(console, "slack", "#incidents", {}, HOOK, console.secrets)
    outcomes = publishing.send_update(console, incident_id, "initial", ["#incidents"], console.secrets)
    assert outcomes["#incidents"].state == "delivered"
    assert [str(request.url) for request in services.requests] == [HOOK]
    assert services.timeouts == [10.0]  # the send's own timeout, as before
    kinds = [event.kind for event in console.view(incident_id).events]
    assert kinds[-2:] == ["update.queued", "update.delivered"]  # both decided against the incident


def test_a_tracker_push_and_its_refresh_go_through_the_consoles_services(
    open_console: Callable[..., Console],
) -> None:
    def github(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(201, json={"number": 7, "html_url": "http://127.0.0.1:9/acme/shop/issues/7"})
        return httpx.Response(200, json={"number": 7, "state": "closed", "state_reason": "completed"})

    services = Recording(github)
    console = open_console(services=services)
    incident_id = incident.declare(console, Declaration("Checkout API returning 502s", "SEV2")).id
    item = actions.create(console, incident_id, NewAction("Alert on 502s", owner="Sam"))
    actions.add(console, "github", "gh", {"repo": "acme/shop", "api_url": "http://127.0.0.1:9"}, "t", console.secrets)
    pushed, created = actions.push(console, item.reference, "gh", console.secrets)
    assert created.key == "acme/shop#7" and "gh" in pushed.links
    [checked] = actions.refresh(console, console.secrets)
    assert checked.status is not None and checked.status.done
    assert [request.method for request in services.requests] == ["POST", "GET"]
    assert services.timeouts == [actions.TIMEOUT, actions.TIMEOUT]
