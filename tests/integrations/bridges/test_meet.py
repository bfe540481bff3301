"""Google Meet's spaces.create with a token from a refresh token, against a local service that answers as
Google does."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

import httpx
import pytest

from commander.integrations import bridges
from commander.integrations.bridges.base import Bridge, BridgeProblem
from commander.integrations.bridges.common import Tokens
from commander.integrations.bridges.meet import MeetBridge
from tests.helpers.bridge_fakes import GOOGLE_CLIENT, GOOGLE_REFRESH, GOOGLE_SECRET, GoogleFake
from tests.helpers.fakes import FakeService, serve


def meet(service: FakeService, tokens: Tokens, refresh: str = GOOGLE_REFRESH) -> MeetBridge:
    return MeetBridge(
        "Team Meet",
        GOOGLE_CLIENT,
        GOOGLE_SECRET,
        refresh,
        api_url=service.base,
        token_url=f"{service.base}/token",
        tokens=tokens,
    )


def start(bridge: MeetBridge) -> Bridge:
    async def run() -> Bridge:
        async with httpx.AsyncClient(timeout=5) as client:
            return await bridge.start(client, "INC-12 SEV2 Checkout 502s")

    return asyncio.run(run())


def test_a_space_is_made_with_a_token_from_the_refresh_token() -> None:
    fake = GoogleFake()
    with serve(fake) as service:
        bridge = start(meet(service, Tokens()))
    assert bridge.url == "https://meet.google.com/abc-mnop-001"
    assert bridge.id == "spaces/jQCFfuBOdN5z1" and "abc-mnop-001" in bridge.details
    token_request, space_request = service.requests
    form = {key: values[0] for key, values in parse_qs(token_request.body.decode()).items()}
    assert form == {
        "client_id": GOOGLE_CLIENT,
        "client_secret": GOOGLE_SECRET,
        "refresh_token": GOOGLE_REFRESH,
        "grant_type": "refresh_token",
    }
    assert space_request.path == "/v2/spaces" and space_request.headers["authorization"] == f"Bearer {fake.tokens[0]}"


def test_the_token_is_reused_while_it_lasts() -> None:
    fake = GoogleFake()
    with serve(fake) as service:
        bridge = meet(service, Tokens())
        start(bridge)
        start(bridge)
    assert fake.token_requests == 1 and len(fake.spaces) == 2


def test_a_revoked_refresh_token_says_how_to_get_a_new_one() -> None:
    with serve(GoogleFake()) as service, pytest.raises(BridgeProblem, match="no longer accepts") as caught:
        start(meet(service, Tokens(), refresh="1//old"))
    assert "meetings.space.created" in str(caught.value) and "1//old" not in str(caught.value)


def test_a_missing_scope_is_named() -> None:
    with serve(GoogleFake(scope="openid")) as service, pytest.raises(BridgeProblem, match="meetings.space.created"):
        start(meet(service, Tokens()))


def test_a_disabled_api_says_to_enable_it() -> None:
    with serve(GoogleFake(api_enabled=False)) as service, pytest.raises(BridgeProblem, match="enable the Google Meet"):
        start(meet(service, Tokens()))


def test_a_429_is_transient() -> None:
    fake = GoogleFake()
    fake.limits.busy = 1
    with serve(fake) as service, pytest.raises(BridgeProblem, match="429") as caught:
        start(meet(service, Tokens()))
    assert caught.value.transient


def test_the_secret_is_two_parts() -> None:
    with pytest.raises(BridgeProblem, match="separated by a space"):
        bridges.make("meet", "Team Meet", {"client_id": GOOGLE_CLIENT}, GOOGLE_SECRET)
    made = bridges.make("meet", "Team Meet", {"client_id": GOOGLE_CLIENT}, f"  {GOOGLE_SECRET}\n{GOOGLE_REFRESH} ")
    assert isinstance(made, MeetBridge) and made.refresh_token == GOOGLE_REFRESH
