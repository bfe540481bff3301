"""The Matrix destination against a real Synapse on loopback (tests/helpers/synapse.py): a room of
version 12, parallel sends under a rate limit, a long update, and a resume after `kill -9` mid-send. What
landed is read back from the room (GET /messages) and counted, so "exactly once" is the homeserver's word.

One Synapse serves the whole module (it takes seconds to start); each test registers its own bot user, so
the rate limit one test meets does not slow the next."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from commander.app import incident as app_incident
from commander.app.bootstrap import build_console
from commander.app.console import Console
from commander.app.updates import publishing
from commander.app.updates.templates import save_template
from commander.domain.incident.decisions import Declaration
from commander.integrations.destinations import matrix
from commander.integrations.destinations.base import Update
from commander.integrations.destinations.publisher import publish_each
from commander.integrations.secrets import SecretStore
from tests.e2e.test_commander_process import SCRIPT
from tests.helpers import synapse as shared
from tests.helpers.fakes import Reply, Request, serve

synapse = shared.synapse
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    built = build_console(str(tmp_path / "commander.db"))
    yield built
    built.close()


@pytest.fixture
def incident(console: Console) -> str:
    return app_incident.declare(
        console,
        Declaration(
            title="Checkout API returning 502s", severity="SEV1", services=("checkout",), summary="EU checkout failing"
        ),
    ).id


def _bot(server: shared.RunningSynapse) -> tuple[str, str]:
    """A new bot user and a room it made (the server's default version): (token, room id)."""
    token = server.register("bot-" + uuid.uuid4().hex[:8])
    return token, server.create_room(token)


def test_an_update_reaches_a_room_of_version_12(
    synapse: shared.RunningSynapse, console: Console, incident: str
) -> None:
    token, room = _bot(synapse)
    assert synapse.room_version(token, room) == "12" and ":" not in room  # no server part any more
    publishing.add(console, "matrix", "Ops room", {"homeserver": synapse.url, "room": room}, token, SecretStore())
    outcomes = publishing.send_update(console, incident, "initial", ["Ops room"], SecretStore())
    assert outcomes["Ops room"].state == "delivered", outcomes["Ops room"].detail
    (message,) = synapse.messages(token, room)
    assert message["event_id"] == outcomes["Ops room"].remote_id
    assert message["content"]["body"].startswith("SEV1 Checkout API returning 502s\n")
    queued = next(e for e in console.view(incident).events if e.kind == "update.queued")
    assert message["unsigned"]["transaction_id"] == queued.id  # the delivery id is the txnId


def test_parallel_sends_under_a_rate_limit_each_land_exactly_once(synapse: shared.RunningSynapse) -> None:
    token, room = _bot(synapse)
    count = 12  # with a burst of 3 and 2 a second, most are told to wait, some more than once
    updates = [
        Update(
            "INC-7K2M9QXA",
            "SEV2",
            "investigating",
            "Checkout API returning 502s",
            f"Update {index} of {count}",
            delivery=uuid.uuid4().hex,
        )
        for index in range(count)
    ]
    heard: list[str] = []

    async def send_all() -> dict[str, str]:
        async with httpx.AsyncClient(timeout=10) as client:
            rooms = [matrix.make(f"room-{n}", {"homeserver": synapse.url, "room": room}, token) for n in range(count)]
            outcomes = await publish_each(
                [(update.delivery, each, update) for each, update in zip(rooms, updates, strict=True)],
                client=client,
                on_state=lambda name, state, detail: heard.append(detail) if state == "retrying" else None,
            )
        return {delivery: outcome.state for delivery, outcome in outcomes.items()}

    began = time.monotonic()
    states = asyncio.run(send_all())
    took = time.monotonic() - began
    assert set(states.values()) == {"delivered"}, states
    assert any("is rate limiting the bot" in said for said in heard)  # the 429s did happen
    bodies = [message["content"]["body"].rsplit("\n", 1)[-1] for message in synapse.messages(token, room)]
    assert sorted(bodies) == sorted(update.text for update in updates)  # each once, none lost, none twice
    assert took < 30, f"{count} rate-limited sends took {took:.1f} s"


def test_a_long_update_arrives_whole(synapse: shared.RunningSynapse, console: Console, incident: str) -> None:
    token, room = _bot(synapse)
    # 20,000 characters: 35 KB as UTF-8, 73 KB with the HTML copy, which is past the 65,536-byte event limit
    line = "09:41 決済APIのエラー率 p99 < 250 ms → 1.2 s — ロールバック & 検索 🇪🇺\n"
    tail = "\nEnd 🇪🇺"
    head = (line * (20_000 // len(line) + 1))[: 20_000 - len(tail)].rsplit("\n", 1)[0]
    text = head + "." * (20_000 - len(head) - len(tail)) + tail
    save_template(console, "long", body=text, name="Long update")  # the update's text is this, as it is
    publishing.add(console, "matrix", "Ops room", {"homeserver": synapse.url, "room": room}, token, SecretStore())
    outcomes = publishing.send_update(console, incident, "long", ["Ops room"], SecretStore())
    assert outcomes["Ops room"].state == "delivered", outcomes["Ops room"].detail
    (message,) = synapse.messages(token, room)
    body = message["content"]["body"]
    assert len(text) == 20_000 and body.rstrip("\n").endswith(text)  # all of it, the last flag whole
    if "formatted_body" in message["content"]:
        assert message["content"]["formatted_body"].removesuffix("<br>").endswith("<br>End 🇪🇺")


def _commander(env: dict[str, str], *argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *argv], input=stdin, capture_output=True, text=True, timeout=120, env=env, cwd=ROOT, check=False
    )


@pytest.mark.e2e
def test_a_send_killed_mid_way_is_resumed_and_lands_once(synapse: shared.RunningSynapse, tmp_path: Path) -> None:
    token, room = _bot(synapse)
    env = {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": "tests.helpers.keyring_file.FileKeyring",
        "COMMANDER_TEST_KEYRING": str(tmp_path / "keyring.json"),
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    stored = threading.Event()
    held = [True]

    def hold_the_first_answer(request: Request) -> Reply:
        """Pass the request to Synapse; the first message's answer is held back, as if the network
        hung after the homeserver stored the event."""
        answer = httpx.request(
            request.method,
            synapse.url + request.path,
            content=request.body,
            headers={k: v for k, v in request.headers.items() if k in ("authorization", "content-type")},
        )
        reply = Reply(answer.status_code, answer.text, {"content-type": "application/json"})
        if request.method == "PUT" and "/send/" in request.path and held[0]:
            held[0] = False
            stored.set()
            reply.delay = 60
        return reply

    db = str(tmp_path / "commander.db")
    with serve(hold_the_first_answer) as proxy:
        ref = _commander(env, "--db", db, "declare", "--title", "Checkout 502s", "--severity", "SEV2").stdout.strip()
        added = _commander(
            env,
            "--db",
            db,
            "destination",
            "add",
            "matrix",
            "Ops room",
            "--option",
            f"homeserver={proxy.base}",
            "--option",
            f"room={room}",
            stdin=token + "\n",
        )
        assert added.returncode == 0, added.stderr
        sending = subprocess.Popen(
            [str(SCRIPT), "--db", db, "update", "send", ref, "--template", "initial", "--to", "Ops room"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert stored.wait(60), "the send never reached the homeserver"
        sending.send_signal(signal.SIGKILL)
        sending.wait(10)
        resumed = _commander(env, "--db", db, "update", "resume")
        assert resumed.returncode == 0, resumed.stderr
        assert f"{ref} to Ops room: delivered" in resumed.stdout
        assert _commander(env, "--db", db, "update", "resume").stdout.strip() == "No interrupted updates."

    sends = [r for r in proxy.requests if r.method == "PUT"]
    assert len(sends) == 2 and sends[0].path == sends[1].path  # sent again with the same txnId...
    (message,) = synapse.messages(token, room)  # ... and the homeserver kept one message
    assert message["content"]["body"].startswith("SEV2 Checkout 502s\n")
    timeline = json.loads(_commander(env, "--db", db, "show", ref, "--json").stdout)["timeline"]
    assert [e["kind"] for e in timeline if e["kind"].startswith("update.")] == ["update.queued", "update.delivered"]
