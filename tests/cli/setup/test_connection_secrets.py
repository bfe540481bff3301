"""`commander destination trust|secret NAME`: a destination re-added with another address gets no token from
`update send` until the address is confirmed here; a keyring that refuses a secret refuses the add."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import keyring
import keyring.errors
import pytest

from commander.app.bootstrap import build_console
from commander.app.updates import publishing
from commander.domain.updates.destinations import FAMILY
from tests.cli.conftest import Run, refused
from tests.helpers.fakes import serve
from tests.helpers.keyring_memory import MemoryKeyring
from tests.integrations.test_teams_matrix import ROOM, TOKEN, Homeserver

LEGIT = "https://matrix.legit.example"


def readd(db: Path, homeserver: str) -> None:
    """A responder's console re-adds the room with their own homeserver (the shared settings only)."""
    console = build_console(str(db))
    try:
        console.record(FAMILY.remove(publishing.destinations(console), "Ops room"))
        console.record(
            FAMILY.add(publishing.destinations(console), "matrix", "Ops room", {"homeserver": homeserver, "room": ROOM})
        )
    finally:
        console.close()


def test_a_changed_address_holds_the_token_back_until_trusted(run: Run, db: Path, declare: Callable[..., str]) -> None:
    ref = declare()
    added = run(
        "destination",
        "add",
        "matrix",
        "Ops room",
        "--option",
        f"homeserver={LEGIT}",
        "--option",
        f"room={ROOM}",
        stdin=TOKEN + "\n",
    )
    assert added.code == 0, added.err
    with serve(Homeserver()) as listener:
        readd(db, listener.base)
        assert "secret held back: address changed" in run("destination", "list").out
        sent = run("update", "send", ref, "--template", "initial", "--to", "Ops room")
        assert sent.code == 1 and "commander destination trust 'Ops room'" in sent.out + sent.err
        assert listener.requests == []

        trusted = run("destination", "trust", "Ops room")
        assert trusted.code == 0
        assert trusted.out.strip() == f"Ops room: its secret is now sent to {listener.base} (was {LEGIT})."
        assert "secret here" in run("destination", "list").out
        sent = run("update", "send", ref, "--template", "initial", "--to", "Ops room")
        assert sent.code == 0, sent.err
        assert any(TOKEN in str(r.headers) for r in listener.requests)


def test_a_secret_given_again_is_bound_to_the_address_as_it_is_now(
    run: Run, db: Path, memory_keyring: MemoryKeyring
) -> None:
    assert (
        run(
            "destination",
            "add",
            "matrix",
            "Ops room",
            "--option",
            f"homeserver={LEGIT}",
            "--option",
            f"room={ROOM}",
            stdin="old\n",
        ).code
        == 0
    )
    readd(db, "https://matrix.new.example")
    given = run("destination", "secret", "Ops room", stdin="new-token\n")
    assert given.code == 0 and given.out.strip() == "Kept the secret for Ops room in the keyring."
    assert memory_keyring.items[("commander", "destination:Ops room")] == "new-token"
    assert "secret here" in run("destination", "list").out
    refused(run("destination", "trust", "Nowhere"), "No destination called Nowhere")


class RefusingKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("locked")


def test_a_keyring_that_refuses_the_secret_refuses_the_add(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring, "get_keyring", RefusingKeyring)
    refused(
        run("destination", "add", "slack", "#ops", stdin="https://hooks.slack.example/T/B/X\n"),
        "keyring refused to store the secret",
        "nothing was saved",
    )
    assert "No destinations yet" in run("destination", "list").out


def test_plain_http_is_refused(run: Run) -> None:
    refused(
        run("destination", "add", "webhook", "hook", "--option", "url=http://hooks.example/x", stdin="key\n"),
        "plain http://",
        "https://",
    )
    assert "No destinations yet" in run("destination", "list").out
