"""`commander destination …` and `commander update send` against local services on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.cli.conftest import Run
from tests.helpers.fakes import Reply, serve
from tests.helpers.keyring_memory import MemoryKeyring
from tests.integrations.test_destinations import slack_like


def test_add_send_and_record_the_outcome(run: Run, declare: Callable[..., str], memory_keyring: MemoryKeyring) -> None:
    ref = declare("Checkout API returning 502s", "--service", "checkout")
    with serve(slack_like) as slack, serve(lambda request: Reply(404, "channel_not_found")) as gone:
        assert run("destination", "add", "slack", "#incidents", stdin=slack.url + "\n").code == 0
        assert run("destination", "add", "slack", "#old", stdin=gone.url + "\n").code == 0
        assert slack.url not in run("destination", "list").out  # the secret is never shown
        assert ("commander", "destination:#incidents") in memory_keyring.items
        assert run("destination", "test", "#incidents").out.strip() == "#incidents: delivered"
        sent = run("update", "send", ref, "--template", "initial", "--to", "#incidents,#old")
    assert sent.code == 1 and "delivered to 1 of 2; failed: #old" in sent.out
    assert "make a new webhook" in sent.err
    assert json.loads(slack.requests[-1].body)["text"].startswith("[SEV2] Checkout API returning 502s")
    timeline = run("show", ref, "--json").json()["timeline"]
    kinds = [e["kind"] for e in timeline if e["kind"].startswith("update.")]
    assert kinds.count("update.queued") == 2 and "update.delivered" in kinds and "update.failed" in kinds
    assert "due in 29m" in run("update", "due", ref).out  # a delivered update restarts the countdown


def test_the_secret_stays_out_of_the_store(run: Run, db, memory_keyring: MemoryKeyring) -> None:  # type: ignore[no-untyped-def]
    webhook = "https://hooks.slack.example/services/T000/B000/SECRETSECRET"
    assert run("destination", "add", "slack", "#incidents", stdin=webhook + "\n").code == 0
    for part in (db, db.with_name(db.name + "-wal")):  # the log too: recent writes live there first
        assert not part.exists() or b"SECRETSECRET" not in part.read_bytes()


def test_an_unknown_kind_lists_the_known_ones(run: Run) -> None:
    result = run("destination", "add", "pigeon", "Ops", stdin="coo\n")
    assert result.code == 1 and "slack-api, teams, mattermost" in result.err


def test_settings_are_checked_by_kind(run: Run) -> None:
    missing = run("destination", "add", "matrix", "ops", "--option", "room=!abc:example.org", stdin="token\n")
    assert missing.code == 1 and "--option homeserver=" in missing.err
    unknown = run("destination", "add", "slack", "ops", "--option", "colour=red", stdin="https://x.invalid\n")
    assert unknown.code == 1 and "no setting colour" in unknown.err
    insecure = run("destination", "add", "cachet", "ops", "--option", "url=status.example.com", stdin="t\n")
    assert insecure.code == 1 and "https://" in insecure.err


def test_a_webhook_needs_its_url(run: Run) -> None:
    result = run("destination", "add", "webhook", "ops", stdin="signing-key\n")
    assert result.code == 1 and "--option url=" in result.err


def test_preview_to_a_destination_shows_the_request_with_the_secret_masked(
    run: Run, declare: Callable[..., str]
) -> None:
    ref = declare("Checkout API returning 502s", "--service", "checkout")
    webhook = "https://hooks.slack.example/services/T000/B000/SECRETSECRET"
    assert run("destination", "add", "slack", "#incidents", stdin=webhook + "\n").code == 0
    assert (
        run(
            "destination",
            "add",
            "statuspage",
            "Status page",
            "--option",
            "page_id=pg1",
            "--option",
            "components=checkout=c-chk",
            stdin="sp-api-key-SECRET\n",
        ).code
        == 0
    )
    slack = run("update", "preview", ref, "--template", "initial", "--to", "#incidents")
    assert slack.code == 0 and "SECRETSECRET" not in slack.out
    assert slack.out.startswith("#incidents (slack)\nPOST •••• (secret, in the keyring)")
    assert '"type": "header"' in slack.out and "Checkout API returning 502s" in slack.out
    page = run("update", "preview", ref, "--template", "initial", "--to", "Status page")
    assert page.code == 0 and "sp-api-key-SECRET" not in page.out
    assert "POST https://api.statuspage.io/v1/pages/pg1/incidents" in page.out
    assert "authorization: ••••" in page.out and '"c-chk": "partial_outage"' in page.out
