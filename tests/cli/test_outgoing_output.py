"""What the command line says about outgoing messages (issue 11, items 15 and 16): a delivery a service's
limit cut says how much went, `destination add --help` lists every kind with its settings, and the shipped
periodic template reads right with and without a Technical Lead."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from commander.domain.updates.destinations import KINDS
from tests.cli.conftest import Run
from tests.helpers.fakes import Reply, Request, serve
from tests.helpers.keyring_memory import MemoryKeyring

MATTERMOST_POST = 16_383


def mattermost_like(request: Request) -> Reply:
    """An incoming webhook that takes one post of at most 16,383 characters, as Mattermost does."""
    text = json.loads(request.body)["text"]
    if len(text) > MATTERMOST_POST:
        return Reply(
            400,
            json.dumps(
                {
                    "id": "api.post.create_post.message_length.app_error",
                    "status_code": 400,
                    "message": "Message too long",
                }
            ),
        )
    return Reply(200, "ok")


def test_a_cut_delivery_says_how_much_went_in_the_output_and_on_the_timeline(
    run: Run, declare: Callable[..., str], memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    ref = declare()
    body = tmp_path / "long.j2"
    # 18,018 characters once filled (a line break ends it): past a Mattermost post, and a flag (two code
    # points) wherever it is cut
    body.write_text("Timeline so far. {% for _ in range(9000) %}\U0001f1e9\U0001f1ea{% endfor %}", encoding="utf-8")
    assert run("update", "template", "save", "long", "--file", str(body), "--name", "Long").code == 0
    with serve(mattermost_like) as mattermost:
        assert run("destination", "add", "mattermost", "ops", stdin=mattermost.url + "\n").code == 0
        sent = run("update", "send", ref, "--template", "long", "--to", "ops")
    assert sent.code == 0, sent.err
    line = next(line for line in sent.out.splitlines() if line.startswith("  ops: "))
    assert line.startswith("  ops: delivered, shortened to ") and line.endswith(" of 18,018 characters"), line
    kept = int(line.split("shortened to ")[1].split(" of ")[0].replace(",", ""))
    assert 15_000 < kept < MATTERMOST_POST and (kept - len("Timeline so far. ")) % 2 == 0  # no flag split
    timeline = [e["text"] for e in run("show", ref, "--json").json()["timeline"] if e["kind"] == "update.delivered"]
    assert timeline == [f"Update delivered to ops, shortened to {kept:,} of 18,018 characters"]


def test_destination_add_help_lists_every_kind_with_its_settings(run: Run) -> None:
    shown = run("destination", "add", "--help")
    for kind in KINDS.values():
        line = next((line for line in shown.out.splitlines() if line.strip().startswith(kind.key + " ")), "")
        assert kind.label in line and kind.secret in line, kind.key
        settings = shown.out.split(line, 1)[1].splitlines()[1]
        assert all(f"{name}=" in settings for name in (*kind.required, *kind.optional)), settings
        assert settings.count("(required)") == len(kind.required), settings


def test_the_periodic_update_reads_right_with_and_without_a_technical_lead(
    run: Run, declare: Callable[..., str]
) -> None:
    ref = declare()
    without = run("update", "preview", ref, "--template", "periodic").out
    assert "What we are doing: our engineers are working to restore service." in without, without
    assert run("assign", ref, "TL", "Sam").code == 0
    with_lead = run("update", "preview", ref, "--template", "periodic").out
    assert "What we are doing: Sam is leading the work to restore service." in with_lead, with_lead
