"""`commander chat …`: chat connections added with their secret from stdin, listed, given again, removed."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Run
from tests.helpers.keyring_memory import MemoryKeyring

TOKENS = "xoxb-111-222-abc xapp-1-A0-333-def"


def test_a_slack_connection_keeps_its_tokens_in_the_keyring_only(
    run: Run, db: Path, memory_keyring: MemoryKeyring
) -> None:
    argv = ["chat", "add", "slack", "team-slack", "--option", "declare_channel=C0DECLARE"]
    added = run(*argv, "--option", "workspace_url=https://acme.slack.com", stdin=TOKENS + "\n")
    assert added.code == 0 and "Added team-slack (slack)." in added.out
    assert ("commander", "chat:team-slack") in memory_keyring.items
    listed = run("chat", "list").out
    assert "team-slack" in listed and "secret here" in listed and "declare in C0DECLARE" in listed
    assert "xoxb" not in listed
    for part in (db, db.with_name(db.name + "-wal")):
        assert not part.exists() or b"xoxb-111" not in part.read_bytes()
    assert run("chat", "secret", "team-slack", stdin=TOKENS + "\n").code == 0
    removed = run("chat", "remove", "team-slack")
    assert removed.code == 0 and ("commander", "chat:team-slack") not in memory_keyring.items
    assert "No chat connections yet" in run("chat", "list").out


def test_refusals_say_what_to_fix(run: Run) -> None:
    wrong = run("chat", "add", "slack", "team-slack", stdin="xapp-only\n")
    assert wrong.code == 1 and "bot token (xoxb-" in wrong.err and "Traceback" not in wrong.err
    team = run("chat", "add", "mattermost", "mm", "--option", "url=https://chat.example.org", stdin="tok\n")
    assert team.code == 1 and "needs team" in team.err
    plain = ["--option", "homeserver=http://matrix.example.org"]
    insecure = run("chat", "add", "matrix", "mx", *plain, stdin="tok\n")
    assert insecure.code == 1 and "https://" in insecure.err
    kind = run("chat", "add", "irc", "x", stdin="tok\n")
    assert kind.code == 1 and "slack, mattermost, matrix" in kind.err
    assert run("chat", "remove", "nope").code == 1


def test_the_help_names_every_kind_and_its_secret(run: Run) -> None:
    shown = run("chat", "add", "--help").out
    assert "xapp-" in shown and "mattermost" in shown and "homeserver=" in shown
