"""`commander bridge …` against local services that answer as Zoom does."""

from __future__ import annotations

from pathlib import Path

import pytest

from commander.integrations.bridges.common import TOKENS
from tests.cli.conftest import Run
from tests.helpers.bridge_fakes import ZOOM_ACCOUNT, ZOOM_CLIENT, ZOOM_SECRET, ZoomFake
from tests.helpers.fakes import serve
from tests.helpers.keyring_memory import MemoryKeyring


@pytest.fixture(autouse=True)
def no_kept_tokens() -> None:
    TOKENS._kept.clear()


def test_a_jitsi_bridge_is_added_without_a_secret_and_started(run: Run) -> None:
    added = run("bridge", "add", "jitsi", "Jitsi", "--option", "base_url=https://meet.jit.si", stdin="")
    assert added.code == 0 and "Added Jitsi (jitsi)." in added.out
    assert "no secret needed" in run("bridge", "list").out
    started = run("bridge", "start", "Jitsi", "--topic", "INC-12 Checkout")
    assert started.code == 0 and started.out.startswith("https://meet.jit.si/inc-12-checkout-")


def test_a_zoom_bridge_reads_its_secret_from_stdin_and_never_shows_it(
    run: Run, db: Path, memory_keyring: MemoryKeyring
) -> None:
    with serve(ZoomFake()) as zoom:
        options = [
            f"account_id={ZOOM_ACCOUNT}",
            f"client_id={ZOOM_CLIENT}",
            f"api_url={zoom.base}/v2",
            f"oauth_url={zoom.base}/oauth/token",
        ]
        argv = ["bridge", "add", "zoom", "Team Zoom"] + [part for o in options for part in ("--option", o)]
        assert run(*argv, stdin=ZOOM_SECRET + "\n").code == 0
        assert ("commander", "bridge:Team Zoom") in memory_keyring.items
        listed = run("bridge", "list").out
        assert "secret here" in listed and ZOOM_SECRET not in listed
        started = run("bridge", "start", "Team Zoom", "--topic", "INC-12")
    assert started.code == 0 and started.out.startswith("https://us02web.zoom.us/j/")
    assert "passcode" in started.out and "zak=" not in started.out
    for part in (db, db.with_name(db.name + "-wal")):
        assert not part.exists() or ZOOM_SECRET.encode() not in part.read_bytes()


def test_zooms_refusal_is_one_sentence_without_a_traceback(run: Run) -> None:
    with serve(ZoomFake()) as zoom:
        options = [f"account_id={ZOOM_ACCOUNT}", f"client_id={ZOOM_CLIENT}", f"oauth_url={zoom.base}/oauth/token"]
        argv = ["bridge", "add", "zoom", "Team Zoom"] + [part for o in options for part in ("--option", o)]
        assert run(*argv, stdin="wrong-secret\n").code == 0
        started = run("bridge", "start", "Team Zoom")
    assert started.code == 1 and "refused the client id or secret" in started.err
    assert "Traceback" not in started.err and "wrong-secret" not in started.err


def test_a_plain_http_token_address_is_refused(run: Run) -> None:
    argv = ["bridge", "add", "zoom", "Z", "--option", "account_id=a", "--option", "client_id=c"]
    result = run(*argv, "--option", "oauth_url=http://zoom.example/oauth/token", stdin="s\n")
    assert result.code == 1 and "plain http://" in result.err


def test_remove_and_an_unknown_kind(run: Run) -> None:
    assert run("bridge", "add", "fixed", "War room", "--option", "url=https://zoom.us/j/1").code == 0
    assert run("bridge", "remove", "War room").code == 0
    assert "No bridges yet" in run("bridge", "list").out
    unknown = run("bridge", "add", "skype", "S")
    assert unknown.code == 1 and "jitsi, zoom, meet, fixed" in unknown.err
