"""Zoom's Server-to-Server OAuth and Create a meeting, against a local service that answers as Zoom does."""

from __future__ import annotations

import asyncio
import base64
import re

import httpx
import pytest

from commander.integrations.bridges.base import Bridge, BridgeProblem
from commander.integrations.bridges.common import Tokens
from commander.integrations.bridges.zoom import ZoomBridge
from tests.helpers.bridge_fakes import ZOOM_ACCOUNT, ZOOM_CLIENT, ZOOM_SECRET, ZoomFake
from tests.helpers.fakes import FakeService, serve


def zoom(service: FakeService, tokens: Tokens, secret: str = ZOOM_SECRET, account: str = ZOOM_ACCOUNT) -> ZoomBridge:
    return ZoomBridge(
        "Team Zoom",
        account,
        ZOOM_CLIENT,
        secret,
        api_url=f"{service.base}/v2",
        oauth_url=f"{service.base}/oauth/token",
        tokens=tokens,
    )


def start(bridge: ZoomBridge, topic: str = "INC-12 SEV2 Checkout 502s") -> Bridge:
    async def run() -> Bridge:
        async with httpx.AsyncClient(timeout=5) as client:
            return await bridge.start(client, topic)

    return asyncio.run(run())


def test_a_meeting_is_made_with_an_account_credentials_token() -> None:
    fake = ZoomFake()
    with serve(fake) as service:
        bridge = start(zoom(service, Tokens()))
    assert bridge.url.startswith("https://us02web.zoom.us/j/")
    assert bridge.id and bridge.details == f"Zoom meeting {bridge.id}, passcode 4Fk9x2"
    assert "zak" not in bridge.url + bridge.details  # the host's start address is never shown
    token_request, meeting_request = service.requests
    assert token_request.path.startswith("/oauth/token?")
    assert "grant_type=account_credentials" in token_request.path and f"account_id={ZOOM_ACCOUNT}" in token_request.path
    basic = base64.b64encode(f"{ZOOM_CLIENT}:{ZOOM_SECRET}".encode()).decode()
    assert token_request.headers["authorization"] == f"Basic {basic}"
    assert meeting_request.headers["authorization"] == f"Bearer {fake.tokens[0]}"
    [meeting] = fake.meetings
    assert meeting | {"start_time": ""} == {
        "topic": "INC-12 SEV2 Checkout 502s",
        "type": 2,
        "start_time": "",
        "duration": 120,
        "timezone": "UTC",
        "settings": {"join_before_host": True, "waiting_room": False},
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meeting["start_time"])


def test_the_token_is_kept_until_it_expires() -> None:
    now = [1000.0]
    tokens = Tokens(clock=lambda: now[0])
    fake = ZoomFake()
    with serve(fake) as service:
        bridge = zoom(service, tokens)
        start(bridge)
        start(bridge)
        assert fake.token_requests == 1
        now[0] += 3600 - 30  # within the last minute of its hour: not used any more
        start(bridge)
    assert fake.token_requests == 2 and len(fake.meetings) == 3


def test_a_revoked_token_is_replaced_once() -> None:
    fake = ZoomFake()
    tokens = Tokens()
    with serve(fake) as service:
        bridge = zoom(service, tokens)
        start(bridge)
        fake.revoked.add(fake.tokens[-1])
        start(bridge)
    assert fake.token_requests == 2 and len(fake.meetings) == 2


def test_a_long_topic_is_cut_to_zooms_200_characters() -> None:
    fake = ZoomFake()
    with serve(fake) as service:
        start(zoom(service, Tokens()), "x" * 500)
    assert len(fake.meetings[0]["topic"]) == 200


def test_a_wrong_client_secret_is_said_in_a_sentence() -> None:
    with serve(ZoomFake()) as service, pytest.raises(BridgeProblem, match="refused the client id or secret") as caught:
        start(zoom(service, Tokens(), secret="wrong"))
    assert "commander bridge secret 'Team Zoom'" in str(caught.value) and "wrong" not in str(caught.value)
    assert not caught.value.transient


def test_a_wrong_account_id_is_named() -> None:
    with serve(ZoomFake()) as service, pytest.raises(BridgeProblem, match="account_id"):
        start(zoom(service, Tokens(), account="other"))


def test_a_missing_scope_names_the_scope_to_add() -> None:
    with serve(ZoomFake(scopes="user:read:admin")) as service, pytest.raises(BridgeProblem) as caught:
        start(zoom(service, Tokens()))
    assert "meeting:write:meeting:admin" in str(caught.value) and "Marketplace" in str(caught.value)


def test_a_429_is_transient_and_keeps_retry_after() -> None:
    fake = ZoomFake()
    fake.limits.busy, fake.limits.retry_after = 1, "7"
    with serve(fake) as service, pytest.raises(BridgeProblem, match="429") as caught:
        start(zoom(service, Tokens()))
    assert caught.value.transient and caught.value.retry_after == 7.0
    assert "try again in 7 s" in str(caught.value)


def test_a_server_error_is_transient() -> None:
    fake = ZoomFake()
    fake.limits.broken = 1
    with serve(fake) as service, pytest.raises(BridgeProblem, match="problem of its own") as caught:
        start(zoom(service, Tokens()))
    assert caught.value.transient


def test_an_unreachable_zoom_is_said_and_transient() -> None:
    with serve(ZoomFake()) as service:
        bridge = zoom(service, Tokens())
    with pytest.raises(BridgeProblem, match="Could not reach Zoom") as caught:
        start(bridge)
    assert caught.value.transient
