"""Opening the 50,000-event incident, adding a note to it, and the memory that takes.

Each part runs in a fresh process on a private copy of the seeded store (notes are added to the copy):
  core: Console.view on a fresh console (load + fold + timeline), split into load and fold+timeline;
        Console.add_note on the open incident (one SQLite transaction, synchronous=FULL).
  ui:   the main window showing the incident; the UI thread's time from Enter in the note box to the
        new row painted in the timeline.

    .venv/bin/python bench/open_incident.py            # needs bench/seed.py's store
    .venv/bin/python bench/open_incident.py --runs 9 --notes 30 --no-ui
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import (
    BIG_TITLE,
    DEFAULT_STORE,
    Figure,
    median_ms,
    peak_rss_mb,
    print_table,
    quiet_environment,
    require_store,
)

from commander.app import timeline

RESULT = "RESULT"


def _big_incident(console: object) -> str:
    summaries = console.incidents()  # type: ignore[attr-defined]
    return next(s.id for s in summaries if s.title == BIG_TITLE)


def _drop_snapshots(store: str) -> None:
    import sqlite3

    with sqlite3.connect(store) as conn:
        conn.execute("DELETE FROM snapshots")
    conn.close()


def core(store: str, runs: int, notes: int) -> dict[str, object]:
    from commander.app.bootstrap import build_console
    from commander.domain.core.events import incident_stream
    from commander.domain.timeline.entries import IncidentView
    from commander.store.repository import EventLog

    incident = _big_incident(build_console(store))
    cold, opened, loaded, folded = [], [], [], []
    for _ in range(runs):
        _drop_snapshots(store)
        console = build_console(store)  # nothing cached, no snapshot: a full fold (which keeps one)
        gc.collect()
        began = time.perf_counter()
        console.view(incident)
        cold.append(time.perf_counter() - began)
        console.close()  # keeps the snapshot
        console = build_console(store)  # what every later open costs: the snapshot plus newer events
        gc.collect()
        began = time.perf_counter()
        view = console.view(incident)
        opened.append(time.perf_counter() - began)
        assert view._events is None, "the second open did not use the snapshot"  # noqa: SLF001
        entries, total = len(view.entries), view.state.event_count
        console.forget(incident)
        del view
        gc.collect()
        gc.disable()  # as Console.view does while it builds a view
        began = time.perf_counter()
        with console.database.read() as conn:
            events = EventLog(conn).stream(incident_stream(incident))
        loaded.append(time.perf_counter() - began)
        began = time.perf_counter()
        IncidentView(incident, console.policy, console.time_format).load(events)
        folded.append(time.perf_counter() - began)
        gc.enable()
        del events
        console.close()
    console = build_console(store)
    console.view(incident)
    added = []
    for n in range(notes):
        began = time.perf_counter()
        timeline.add_note(console, incident, f"Benchmark note {n}: error rate back under 1% on checkout")
        added.append(time.perf_counter() - began)
    return {
        "open": opened,
        "cold": cold,
        "load": loaded,
        "fold": folded,
        "add_note": added,
        "entries": entries,
        "events": total,
        "rss": peak_rss_mb(),
    }


def ui(store: str, notes: int) -> dict[str, object]:
    from PySide6.QtCore import QEvent, QObject, Qt
    from PySide6.QtTest import QTest

    from commander.app.bootstrap import build_console
    from commander.ui.shell.app import application
    from commander.ui.shell.main_window import MainWindow
    from commander.ui.shell.settings import UiSettings

    class Paints(QObject):
        count = 0

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint:
                Paints.count += 1
            return False

    app = application()
    console = build_console(store)
    incident = _big_incident(console)
    began = time.perf_counter()
    window = MainWindow(console, UiSettings(Path(tempfile.mkdtemp()) / "ui.ini"))
    window.select_incident(incident)
    window.resize(1440, 900)
    window.show()
    app.processEvents()
    shown = time.perf_counter() - began
    model, viewport = window.timeline.model, window.timeline.entries.viewport()
    watcher = Paints()
    viewport.installEventFilter(watcher)
    box = window.note_box.text
    box.setFocus()
    enter_to_row, submit_only = [], []
    for n in range(notes):
        for _ in range(3):
            app.processEvents()  # settle: the previous note's paint, timers that fell due
        box.setPlainText(f"Benchmark note {n}: error rate back under 1% on checkout")
        rows, paints = model.rowCount(), Paints.count
        began = time.perf_counter()
        QTest.keyClick(box, Qt.Key.Key_Return)
        submitted = time.perf_counter()
        while Paints.count == paints:
            app.processEvents()
        enter_to_row.append(time.perf_counter() - began)
        submit_only.append(submitted - began)
        if model.rowCount() != rows + 1 or box.toPlainText():
            raise SystemExit("The note did not reach the timeline: the benchmark measures the wrong thing.")
    window.remember_state = False
    window.close()
    return {"shown": shown, "enter_to_row": enter_to_row, "submit": submit_only, "rss": peak_rss_mb()}


def spawn(part: str, store: Path, args: argparse.Namespace, env: dict[str, str]) -> dict[str, object]:
    copy = Path(tempfile.mkdtemp(prefix="commander-open-")) / "store.db"
    shutil.copyfile(store, copy)
    command = [
        sys.executable,
        __file__,
        "--child",
        part,
        "--store",
        str(copy),
        "--runs",
        str(args.runs),
        "--notes",
        str(args.notes),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900, check=False)
    shutil.rmtree(copy.parent, ignore_errors=True)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT):
            return json.loads(line[len(RESULT) :])  # type: ignore[no-any-return]
    raise SystemExit(f"The {part} measurement failed:\n{done.stderr}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE)
    parser.add_argument("--runs", type=int, default=7, help="fresh opens of the incident")
    parser.add_argument("--notes", type=int, default=20, help="notes added, each timed")
    parser.add_argument("--no-ui", action="store_true", help="skip the window (no PySide6 needed)")
    parser.add_argument("--child", choices=["core", "ui"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "core":
        print(RESULT, json.dumps(core(str(args.store), args.runs, args.notes)), flush=True)
        return 0
    if args.child == "ui":
        print(RESULT, json.dumps(ui(str(args.store), args.notes)), flush=True)
        return 0

    store = require_store(args.store)
    env = quiet_environment()
    measured = spawn("core", store, args, env)
    seconds = {key: [float(x) for x in measured[key]] for key in ("open", "cold", "load", "fold", "add_note")}  # type: ignore[attr-defined]
    figures = [
        Figure(
            "open incident (Console.view)",
            median_ms(seconds["open"]),
            "ms",
            target=300,
            note=f"{measured['entries']:,} timeline rows; from its snapshot; median of {args.runs} fresh consoles",
        ),
        Figure(
            "first open, no snapshot yet",
            median_ms(seconds["cold"]),
            "ms",
            note="the whole log folded once; keeps a snapshot for every later open",
        ),
        Figure("  of which: load from SQLite", median_ms(seconds["load"]), "ms", note="EventLog.stream"),
        Figure("  of which: fold + timeline", median_ms(seconds["fold"]), "ms", note="IncidentView.load"),
        Figure(
            "add a note (Console.add_note)",
            median_ms(seconds["add_note"]),
            "ms",
            target=16,
            note=f"max {max(seconds['add_note']) * 1000:,.1f} ms over {args.notes}",
        ),
        Figure("peak RSS, core process", float(measured["rss"]), "MB", target=300),  # type: ignore[arg-type]
    ]
    if not args.no_ui:
        shown = spawn("ui", store, args, env)
        enter = [float(x) for x in shown["enter_to_row"]]  # type: ignore[attr-defined]
        submit = [float(x) for x in shown["submit"]]  # type: ignore[attr-defined]
        figures += [
            Figure("window shows the incident", float(shown["shown"]) * 1000, "ms"),  # type: ignore[arg-type]
            Figure(
                "Enter to row painted (UI thread)",
                median_ms(enter),
                "ms",
                target=16,
                note=f"p90 {statistics.quantiles(enter, n=10)[-1] * 1000:,.1f} ms; "
                f"of which Console.add_note and the model update {median_ms(submit):,.1f} ms",
            ),
            Figure("peak RSS, window process", float(shown["rss"]), "MB", target=300),  # type: ignore[arg-type]
        ]
    print_table(f"Opening and writing to an incident with {measured['events']:,} events", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
