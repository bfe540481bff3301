"""Jitsi rooms and fixed bridges: no API, so no network (httpx would refuse any request from a client
without a transport)."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from commander.integrations import bridges
from commander.integrations.bridges.base import Bridge, BridgeProblem
from commander.integrations.bridges.jitsi import PREFIX_MAX, prefix


def start(kind: str, options: dict[str, str], topic: str = "INC-12 SEV2 Checkout 502s") -> Bridge:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"{kind} made a request: {request.url}")

    async def run() -> Bridge:
        async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
            return await bridges.make(kind, "Team", options, "").start(client, topic)

    return asyncio.run(run())


def test_a_jitsi_room_has_a_readable_prefix_and_128_random_bits() -> None:
    bridge = start("jitsi", {"base_url": "https://meet.example.org/"})
    assert bridge.url.startswith("https://meet.example.org/inc-12-sev2-checkout-502s-")
    room = bridge.url.rsplit("/", 1)[1]
    assert bridge.id == room
    assert re.fullmatch(r"[a-z0-9-]+-[0-9a-f]{32}", room)  # 32 hex digits: 128 bits, and lowercase


def test_two_jitsi_rooms_for_the_same_topic_differ() -> None:
    rooms = {start("jitsi", {"base_url": "https://meet.jit.si"}).url for _ in range(20)}
    assert len(rooms) == 20


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("Checkout: 502s / 'payments' & \"cart\"?", "checkout-502s-payments-cart"),
        ("Zahlungsausfall – Köln", "zahlungsausfall-koln"),
        ("🔥🔥", "incident"),
        ("", "incident"),
    ],
)
def test_a_room_prefix_keeps_only_what_jitsi_routes(topic: str, expected: str) -> None:
    assert prefix(topic) == expected


def test_a_long_topic_is_cut_at_a_word() -> None:
    cut = prefix("SEV1 checkout payments inventory search recommendations all down")
    assert len(cut) <= PREFIX_MAX and not cut.endswith("-")
    assert cut == "sev1-checkout-payments-inventory-search"


def test_a_fixed_bridge_is_the_same_address_every_time() -> None:
    options = {"url": "https://zoom.us/j/123456789"}
    assert start("fixed", options).url == start("fixed", options, "other").url == "https://zoom.us/j/123456789"


def test_a_fixed_bridge_without_an_address_says_what_to_do() -> None:
    with pytest.raises(BridgeProblem, match="add it again"):
        start("fixed", {"url": "zoom.us/j/1"})
