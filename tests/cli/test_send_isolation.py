"""`commander destination add` checks a destination's settings as a send would, and `update send` to
several destinations delivers to the good ones whatever is wrong with another."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from commander.integrations.destinations import publisher
from tests.cli.conftest import Run
from tests.helpers.fakes import Reply, serve
from tests.helpers.keyring_memory import MemoryKeyring
from tests.integrations.test_destinations import slack_like
from tests.integrations.test_teams_matrix import ROOM, TOKEN, Homeserver

V12_ROOM = "!BaNtlS8x_ZTeaEUCJg3qXW1K2PNqq5mbN0MYqYFG-Kk"


def test_room_ids_are_checked_as_the_matrix_specification_defines_them(run: Run) -> None:
    def add(name: str, room: str) -> int:
        return run(
            "destination",
            "add",
            "matrix",
            name,
            "--option",
            "homeserver=https://matrix.example.org",
            "--option",
            f"room={room}",
            stdin="syt_token\n",
        ).code

    assert add("v12", V12_ROOM) == 0
    assert add("v11", "!hQmLrQpSxUTsDhyXZf:example.org") == 0
    assert add("alias", "#incidents:example.org:8448") == 0
    refused = run(
        "destination",
        "add",
        "matrix",
        "bare",
        "--option",
        "homeserver=https://matrix.example.org",
        "--option",
        "room=incidents",
        stdin="syt_token\n",
    )
    assert refused.code == 1 and "'incidents' is not a Matrix room id or alias" in refused.err
    assert "bare" not in run("destination", "list").out


def test_one_destination_without_its_secret_does_not_stop_the_others(
    run: Run, declare: Callable[..., str], memory_keyring: MemoryKeyring
) -> None:
    ref = declare("Checkout API returning 502s")
    with serve(slack_like) as slack:
        assert run("destination", "add", "slack", "#incidents", stdin=slack.url + "\n").code == 0
        assert run("destination", "add", "slack", "#exec", stdin=slack.url + "\n").code == 0
        del memory_keyring.items["commander", "destination:#exec"]  # as on a computer it was not added on
        sent = run("update", "send", ref, "--template", "initial", "--to", "#exec,#incidents")
    assert sent.code == 1 and "delivered to 1 of 2; failed: #exec" in sent.out
    assert "#exec: failed — not sent to #exec: This computer has no secret" in sent.err
    assert len(slack.requests) == 1


def test_a_delivery_that_ran_out_of_time_is_offered_by_update_resume(
    run: Run, declare: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(publisher, "DELIVERY_DEADLINE", 5.0)
    ref = declare("Checkout API returning 502s")
    homeserver = Homeserver()
    homeserver.limited.append(
        Reply(
            429,
            json.dumps({"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 60_000}),
            {"content-type": "application/json"},
        )
    )
    with serve(homeserver) as server:
        assert (
            run(
                "destination",
                "add",
                "matrix",
                "Ops room",
                "--option",
                f"homeserver={server.base}",
                "--option",
                f"room={ROOM}",
                stdin=TOKEN + "\n",
            ).code
            == 0
        )
        sent = run("update", "send", ref, "--template", "initial", "--to", "Ops room")
        assert sent.code == 1
        assert "Ops room: failed — gave up after 1 attempt in 0 s (it asked to wait 60 s more)" in sent.err
        resumed = run("update", "resume")
        assert resumed.code == 0 and f"{ref} to Ops room: delivered" in resumed.out
        assert run("update", "resume").out.strip() == "No interrupted updates."
    assert len(homeserver.timeline) == 1
