"""Bridges through the console: added as shared settings (the secret in this computer's keyring, none for
Jitsi and fixed bridges), started against local services that answer as Zoom and Google do."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from commander.app import bridges
from commander.app.console import Console
from commander.domain.core.errors import DomainError
from commander.integrations.bridges.base import BridgeProblem
from commander.integrations.bridges.common import TOKENS
from tests.helpers.bridge_fakes import (
    GOOGLE_CLIENT,
    GOOGLE_REFRESH,
    GOOGLE_SECRET,
    ZOOM_ACCOUNT,
    ZOOM_CLIENT,
    ZOOM_SECRET,
    GoogleFake,
    ZoomFake,
)
from tests.helpers.fakes import FakeService, serve


@pytest.fixture(autouse=True)
def no_kept_tokens() -> None:
    TOKENS._kept.clear()  # each test asks its own fake for a token


def zoom_options(service: FakeService) -> dict[str, str]:
    return {
        "account_id": ZOOM_ACCOUNT,
        "client_id": ZOOM_CLIENT,
        "api_url": f"{service.base}/v2",
        "oauth_url": f"{service.base}/oauth/token",
    }


def test_a_jitsi_bridge_needs_no_secret_and_starts_a_new_room(console: Console) -> None:
    config, kept = bridges.add(console, "jitsi", "Jitsi", {"base_url": "https://meet.jit.si"}, "", console.secrets)
    assert kept and config.kind == "jitsi" and config.options == {"base_url": "https://meet.jit.si"}
    first, second = (bridges.start(console, "Jitsi", "INC-12 SEV2 Checkout") for _ in range(2))
    assert first.url.startswith("https://meet.jit.si/inc-12-sev2-checkout-") and first.url != second.url


def test_a_secret_given_to_a_jitsi_bridge_is_refused(console: Console) -> None:
    with pytest.raises(DomainError, match="takes no secret"):
        bridges.add(console, "jitsi", "Jitsi", {"base_url": "https://meet.jit.si"}, "s3cret", console.secrets)
    assert bridges.bridges(console) == {}


def test_a_zoom_bridge_starts_a_meeting_with_its_secret_from_the_keyring(console: Console) -> None:
    fake = ZoomFake()
    with serve(fake) as service:
        bridges.add(console, "zoom", "Team Zoom", zoom_options(service), ZOOM_SECRET, console.secrets)
        bridge = bridges.start(console, "Team Zoom", "INC-12 SEV2 Checkout 502s")
    assert bridge.url.startswith("https://us02web.zoom.us/j/")
    assert fake.meetings[0]["topic"] == "INC-12 SEV2 Checkout 502s"
    assert ZOOM_SECRET not in str(console.reads.stream("settings:bridges"))


def test_a_meet_bridge_starts_a_space(console: Console) -> None:
    with serve(GoogleFake()) as service:
        options = {"client_id": GOOGLE_CLIENT, "api_url": service.base, "token_url": f"{service.base}/token"}
        bridges.add(console, "meet", "Team Meet", options, f"{GOOGLE_SECRET} {GOOGLE_REFRESH}", console.secrets)
        bridge = bridges.start(console, "Team Meet", "INC-12")
    assert bridge.url == "https://meet.google.com/abc-mnop-001"


def test_a_meet_secret_must_have_both_parts(console: Console) -> None:
    with pytest.raises(DomainError, match="separated by a space"):
        bridges.add(console, "meet", "Team Meet", {"client_id": GOOGLE_CLIENT}, GOOGLE_SECRET, console.secrets)
    assert bridges.bridges(console) == {}


def test_a_bridge_added_elsewhere_asks_for_its_secret_here(open_console: Callable[..., Console]) -> None:
    mine, theirs = open_console(), open_console()
    with serve(ZoomFake()) as service:
        bridges.add(theirs, "zoom", "Team Zoom", zoom_options(service), ZOOM_SECRET, theirs.secrets)
        theirs.secrets.delete("bridge:Team Zoom")  # one keyring in a test: as if it were the other computer's
        with pytest.raises(DomainError, match="commander bridge secret 'Team Zoom'"):
            bridges.start(mine, "Team Zoom", "INC-12")
        bridges.give_secret(mine, "Team Zoom", ZOOM_SECRET, mine.secrets)
        assert bridges.start(mine, "Team Zoom", "INC-12").url.startswith("https://")


def test_a_zoom_bridge_readded_with_another_token_address_holds_its_secret_back(console: Console) -> None:
    with serve(ZoomFake()) as service:
        bridges.add(console, "zoom", "Team Zoom", zoom_options(service), ZOOM_SECRET, console.secrets)
        console.record(bridges.FAMILY.remove(bridges.bridges(console), "Team Zoom"))
        moved = zoom_options(service) | {"oauth_url": "https://attacker.example/oauth/token"}
        console.record(bridges.FAMILY.add(bridges.bridges(console), "zoom", "Team Zoom", moved))
        with pytest.raises(DomainError, match="commander bridge trust 'Team Zoom'"):
            bridges.start(console, "Team Zoom", "INC-12")


def test_zooms_refusal_reaches_the_caller_as_a_sentence(console: Console) -> None:
    with serve(ZoomFake(scopes="user:read:admin")) as service:
        bridges.add(console, "zoom", "Team Zoom", zoom_options(service), ZOOM_SECRET, console.secrets)
        with pytest.raises(BridgeProblem, match="meeting:write:meeting:admin"):
            bridges.start(console, "Team Zoom", "INC-12")


def test_an_unknown_bridge_says_how_to_list_them(console: Console) -> None:
    with pytest.raises(DomainError, match="commander bridge list"):
        bridges.start(console, "Nope", "INC-12")


def test_removing_a_bridge_forgets_its_secret(console: Console) -> None:
    with serve(ZoomFake()) as service:
        bridges.add(console, "zoom", "Team Zoom", zoom_options(service), ZOOM_SECRET, console.secrets)
    bridges.remove(console, "Team Zoom", console.secrets)
    assert bridges.bridges(console) == {} and console.secrets.get("bridge:Team Zoom") is None
