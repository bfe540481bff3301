"""`commander destination add` checks a destination's settings as a send would, and `update send` to
several destinations delivers to the good ones whatever is wrong with another."""

from __future__ import annotations

from collections.abc import Callable

from tests.cli.conftest import Run
from tests.integrations.fakes import serve
from tests.integrations.test_destinations import slack_like
from tests.keyring_memory import MemoryKeyring

V12_ROOM = "!BaNtlS8x_ZTeaEUCJg3qXW1K2PNqq5mbN0MYqYFG-Kk"


def test_room_ids_are_checked_as_the_matrix_specification_defines_them(run: Run) -> None:
    def add(name: str, room: str) -> int:
        return run("destination", "add", "matrix", name, "--option", "homeserver=https://matrix.example.org",
                   "--option", f"room={room}", stdin="syt_token\n").code

    assert add("v12", V12_ROOM) == 0
    assert add("v11", "!hQmLrQpSxUTsDhyXZf:example.org") == 0
    assert add("alias", "#incidents:example.org:8448") == 0
    refused = run("destination", "add", "matrix", "bare", "--option", "homeserver=https://matrix.example.org",
                  "--option", "room=incidents", stdin="syt_token\n")
    assert refused.code == 1 and "'incidents' is not a Matrix room id or alias" in refused.err
    assert "bare" not in run("destination", "list").out


def test_one_destination_without_its_secret_does_not_stop_the_others(
        run: Run, declare: Callable[..., str], memory_keyring: MemoryKeyring) -> None:
    ref = declare("Checkout API returning 502s")
    with serve(slack_like) as slack:
        assert run("destination", "add", "slack", "#incidents", stdin=slack.url + "\n").code == 0
        assert run("destination", "add", "slack", "#exec", stdin=slack.url + "\n").code == 0
        del memory_keyring.items["commander", "destination:#exec"]  # as on a computer it was not added on
        sent = run("update", "send", ref, "--template", "initial", "--to", "#exec,#incidents")
    assert sent.code == 1 and "delivered to 1 of 2; failed: #exec" in sent.out
    assert "#exec: failed — not sent to #exec: This computer has no secret" in sent.err
    assert len(slack.requests) == 1
