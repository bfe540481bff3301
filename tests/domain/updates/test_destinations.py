"""Destination settings checked as the services define them: Matrix room ids and aliases per the
specification's identifier grammar (room version 12 has no server part), whole web addresses, page ids
and component mappings."""

from __future__ import annotations

import pytest

from commander.domain.core.errors import DomainError
from commander.domain.updates.destinations import check_options, matrix_room


@pytest.mark.parametrize(
    "room",
    [
        "!BaNtlS8x_ZTeaEUCJg3qXW1K2PNqq5mbN0MYqYFG-Kk",  # version 12: 43 URL-safe base64 characters, no server
        "!hQmLrQpSxUTsDhyXZf:example.org",  # versions 1-11
        "!abc:127.0.0.1:8448",
        "!abc:[2001:db8::1]:8448",
        "!abc:[::1]",
        "#incidents:example.org",
        "#ops-é:matrix.example.org:443",
    ],
)
def test_room_ids_and_aliases_the_specification_allows(room: str) -> None:
    assert matrix_room(room)


@pytest.mark.parametrize(
    "room",
    [
        "incidents",
        "#incidents",
        "!abc",
        "!BaNtlS8x_ZTeaEUCJg3qXW1K2PNqq5mbN0MYqYFG-K",  # 42: not a hash
        "!abc:",
        "!abc:exa mple.org",
        "!abc:example.org:99999",
        "!abc:[not-ipv6]",
        "!a b:example.org",
        "#:example.org",
        "@bot:example.org",
        "!" + "a" * 250 + ":example.org",
        "",
    ],
)
def test_what_is_neither_a_room_id_nor_an_alias(room: str) -> None:
    assert not matrix_room(room)


@pytest.mark.parametrize(
    ("kind", "options", "words"),
    [
        ("matrix", {"homeserver": "https://matrix.example.org", "room": "!abc"}, "not a Matrix room id or alias"),
        ("matrix", {"homeserver": "https://matrix.example.org"}, "needs room"),
        ("webhook", {"url": "https://exa mple.org/hook"}, "is not a web address"),
        ("webhook", {"url": "https://#fragment"}, "is not a web address"),
        ("instatus", {"page_id": "my page"}, "is not a page id for Instatus"),
        ("statuspage", {"page_id": "pg1", "components": "checkout=abc, checkout=def"}, "names checkout twice"),
        ("statuspage", {"page_id": "pg1", "components": "checkout=Checkout API"}, "not its name"),
        ("mattermost", {"channel": "Town Square"}, "has spaces"),
        ("pigeon", {}, "not a kind of destination"),
    ],
)
def test_settings_a_send_would_fail_on_are_refused_with_what_to_do(
    kind: str, options: dict[str, str], words: str
) -> None:
    with pytest.raises(DomainError, match=words):
        check_options(kind, options)


def test_good_settings_pass() -> None:
    check_options("statuspage", {"page_id": "kctbh9vrtdwd", "components": "checkout=c-chk, payments=c_pay"})
    check_options("cachet", {"url": "https://status.example.org", "components": "checkout=4"})
    check_options("matrix", {"homeserver": "http://127.0.0.1:8008", "room": "#ops:localhost"})
    check_options("teams", {"format": "MessageCard"})
