"""Where a connection's secret goes: the fingerprint of its kind and address settings, and plain http://
refused but for this machine."""

from __future__ import annotations

import pytest

from commander.domain.core.connections import endpoint, insecure


def test_the_fingerprint_follows_the_addresses_and_the_kind_only() -> None:
    base = endpoint("matrix", {"homeserver": "https://m.example", "room": "!a:m.example"})
    assert endpoint("matrix", {"homeserver": "https://m.example/ ", "room": "#other:m.example"}) == base
    assert endpoint("matrix", {"homeserver": "https://evil.example", "room": "!a:m.example"}) != base
    assert (
        endpoint("webhook", {"url": "https://m.example"}).fingerprint
        != endpoint("cachet", {"url": "https://m.example"}).fingerprint
    )
    assert endpoint("slack", {}).where == "slack's own address"
    assert endpoint("statuspage", {"page_id": "p", "api_url": "https://x.example/v1/"}).where == "https://x.example/v1"
    assert endpoint("statuspage", {"page_id": "p"}) != endpoint(
        "statuspage", {"page_id": "p", "api_url": "https://x.example"}
    )


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("https://hooks.example/x", False),
        ("http://127.0.0.1:8080/x", False),
        ("http://127.1.2.3/", False),
        ("http://[::1]:9/", False),
        ("http://localhost:9/", False),
        ("HTTP://LOCALHOST/", False),
        ("http://hooks.example/x", True),
        ("http://127.0.0.1.evil.example/", True),
        ("http://[::2]/", True),
        ("http://localhost.evil.example/", True),
        ("http://10.0.0.1/", True),
    ],
)
def test_plain_http_only_to_this_machine(address: str, refused: bool) -> None:
    assert bool(insecure({"url": address})) is refused
    assert bool(insecure({"api_url": address, "channel": "C1"})) is refused
