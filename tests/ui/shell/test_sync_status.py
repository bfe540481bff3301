"""The window replicates when a shared store is set, and the status bar says how that is going."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from commander.app import incident as app_incident
from commander.app import timeline
from commander.app.bootstrap import build_console
from commander.app.setup import remote as remotes
from commander.domain.incident.decisions import Declaration
from commander.store.database import Database
from commander.ui.kit.shell import entries
from commander.ui.shell.main_window import MainWindow
from commander.ui.shell.settings import UiSettings


def shared_store(window: MainWindow) -> Any:
    """File > Shared store…: the dialog its registered entry opens."""
    return next(made for made in entries() if made.text == "S&hared store…").open(window)


def _window(qtbot: QtBot, console, tmp_path: Path) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(console, UiSettings(tmp_path / f"ui-{console.me.name}.ini"))
    qtbot.addWidget(window)
    window.show()
    return window


def test_a_note_from_another_console_arrives_through_the_shared_store(qtbot: QtBot, tmp_path: Path) -> None:
    shared = f"sqlite:///{tmp_path / 'shared.db'}"
    Database(shared).upgrade()
    mine, theirs = (
        build_console(str(tmp_path / "mine.db"), user="Alex"),
        build_console(str(tmp_path / "t.db"), user="Sam"),
    )
    for console in (mine, theirs):
        remotes.set_remote(console, shared, console.secrets, poll_seconds=0.2)
    incident = app_incident.declare(theirs, Declaration(title="Checkout 502s", severity="SEV1"))
    window = _window(qtbot, mine, tmp_path)
    qtbot.waitUntil(lambda: window.sync.replicator is not None, timeout=5000)
    pusher = remotes.replicator(theirs, remotes.configured(theirs), theirs.secrets)  # type: ignore[arg-type]
    pusher.run_once()
    qtbot.waitUntil(lambda: window.incidents.summary(incident.id) is not None, timeout=10000)
    window.select_incident(incident.id)
    timeline.add_note(theirs, incident.id, "Rolled back v2.31")
    pusher.run_once()
    qtbot.waitUntil(lambda: any(e.text == "Rolled back v2.31" for e in mine.view(incident.id).entries), timeout=10000)
    qtbot.waitUntil(lambda: window.sync_indicator.text().startswith("online"), timeout=5000)
    assert window.sync_indicator.isVisible()
    window.close()
    pusher.stop()
    theirs.close()
    mine.close()


def test_an_unreachable_store_shows_offline_and_what_waits(qtbot: QtBot, tmp_path: Path) -> None:
    console = build_console(str(tmp_path / "mine.db"), user="Alex")
    remotes.set_remote(console, "postgresql+psycopg://nobody@127.0.0.1:1/commander", console.secrets)
    incident = app_incident.declare(console, Declaration(title="Checkout 502s", severity="SEV1"))
    timeline.add_note(console, incident.id, "written with the network down")
    window = _window(qtbot, console, tmp_path)
    qtbot.waitUntil(lambda: window.sync_indicator.text().startswith("offline"), timeout=15000)
    text = window.sync_indicator.text()
    assert "3 waiting" in text and "retrying in" in text
    assert "cannot be reached" in window.sync_indicator.toolTip()
    window.close()
    console.close()


def test_a_newer_shared_store_is_said_in_words_not_shown_as_offline(qtbot: QtBot, tmp_path: Path) -> None:
    shared = tmp_path / "shared.db"
    Database(f"sqlite:///{shared}").upgrade()
    import sqlite3

    with sqlite3.connect(shared) as conn:  # a shared store written by a newer Commander
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.close()
    console = build_console(str(tmp_path / "mine.db"), user="Alex")
    remotes.set_remote(console, f"sqlite:///{shared}", console.secrets)
    window = _window(qtbot, console, tmp_path)
    qtbot.waitUntil(lambda: window.sync_indicator.text().startswith("error"), timeout=10000)
    assert window.status.problem.isVisible()
    assert "Update Commander" in window.status.problem.text()
    window.close()
    console.close()


def test_the_shared_store_dialog_starts_and_stops_syncing(qtbot: QtBot, tmp_path: Path, memory_keyring: object) -> None:
    shared = f"sqlite:///{tmp_path / 'shared.db'}"
    Database(shared).upgrade()
    console = build_console(str(tmp_path / "mine.db"), user="Alex")
    window = _window(qtbot, console, tmp_path)
    assert not window.sync_indicator.isVisible()
    dialog = shared_store(window)
    qtbot.keyClicks(dialog.url, shared)
    dialog.submit()
    qtbot.waitUntil(lambda: window.sync_indicator.text().startswith("online"), timeout=10000)
    assert remotes.configured(console).url == shared  # type: ignore[union-attr]
    dialog = shared_store(window)
    dialog.stop.setChecked(True)
    dialog.submit()
    qtbot.waitUntil(lambda: not window.sync_indicator.isVisible(), timeout=5000)
    assert remotes.configured(console) is None
    window.close()
    console.close()


def test_a_bad_url_is_refused_in_the_dialog_and_kept(qtbot: QtBot, tmp_path: Path) -> None:
    console = build_console(str(tmp_path / "mine.db"), user="Alex")
    window = _window(qtbot, console, tmp_path)
    dialog = shared_store(window)
    qtbot.keyClicks(dialog.url, "mysql://db/commander")
    dialog.submit()
    assert dialog.isVisible() and "postgresql+psycopg://" in dialog.error.text()
    assert dialog.url.text() == "mysql://db/commander"
    dialog.reject()
    window.close()
    console.close()


def test_rows_set_aside_are_counted_in_the_status_bar(qtbot: QtBot, tmp_path: Path) -> None:
    import json
    import sqlite3
    import uuid

    shared = tmp_path / "shared.db"
    Database(f"sqlite:///{shared}").upgrade()
    console = build_console(str(tmp_path / "mine.db"), user="Alex")
    incident = app_incident.declare(console, Declaration(title="Checkout 502s", severity="SEV1"))
    remotes.set_remote(console, f"sqlite:///{shared}", console.secrets, poll_seconds=0.2)
    with sqlite3.connect(shared) as conn:  # a peer with a bug: two rows no console can fold
        for payload in ("[]", json.dumps({"text": 5})):
            conn.execute(
                "INSERT INTO events (id, stream, kind, payload, actor_id, actor_name, hlc, occurred_at, "
                "recorded_at, origin) VALUES (?, ?, 'note.added', ?, 'b', 'Bob', 1, 1, 1, 'x')",
                (str(uuid.uuid4()), f"incident:{incident.id}", payload),
            )
    conn.close()
    window = _window(qtbot, console, tmp_path)
    qtbot.waitUntil(
        lambda: "2 events from the shared store were set aside" in window.sync_indicator.text(), timeout=10000
    )
    assert "commander sync --quarantine" in window.sync_indicator.toolTip()
    window.close()
    console.close()
