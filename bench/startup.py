"""Start-up: from process start to a painted Commander window, against a bare QMainWindow.

Each start is a fresh Python process (the same interpreter for both), timed by this parent from spawn
until the child reports that its window has been shown, painted and its event queue processed. The
starts are interleaved and repeated; medians are compared.

    .venv/bin/python bench/startup.py            # needs bench/seed.py's store
    .venv/bin/python bench/startup.py --reps 9 --store /tmp/small.db
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import DEFAULT_STORE, Figure, print_table, quiet_environment, require_store

READY = "READY"
PAINTED = "PAINTED"  # printed at the first paint: the start's end, whatever the child measures after
# Issue 2: start-up to a shown window on 1,000 incidents and 100,000 events, under 2x a bare window.
RATIO_TARGET = 2.0


def child(kind: str, store: str | None) -> None:
    """Runs in the measured process: build the window, show it, wait for its first paint."""
    started = time.perf_counter()
    phases: dict[str, float] = {}
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    class FirstPaint(QObject):
        painted = False
        at = 0.0

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint and not FirstPaint.painted:
                FirstPaint.painted, FirstPaint.at = True, time.perf_counter()
                print(PAINTED, flush=True)  # now, not after this round of events: the parent times this line
            return False

    phases["import Qt"] = time.perf_counter() - started
    if kind == "bare":
        app = QApplication(sys.argv[:1])
        window: QMainWindow = QMainWindow()
        window.setCentralWidget(QLabel("bare"))
    else:
        from commander.app.bootstrap import build_console
        from commander.ui.shell.app import application
        from commander.ui.shell.main_window import MainWindow
        from commander.ui.shell.settings import UiSettings

        phases["import Commander"] = time.perf_counter() - started
        app = application()
        console = build_console(store)
        phases["open store"] = time.perf_counter() - started
        window = MainWindow(console, UiSettings(Path(tempfile.mkdtemp()) / "ui.ini"))
        phases["build window"] = time.perf_counter() - started
    window.resize(1440, 900)
    watcher = FirstPaint()
    window.installEventFilter(watcher)
    window.show()
    while not FirstPaint.painted:
        app.processEvents()
    app.processEvents()  # whatever the first paint queued (layout passes, timers due now)
    phases["shown and painted"] = FirstPaint.at - started
    if kind == "seeded":  # a long incident opens just after the first paint: when is it on screen?
        while getattr(window, "current", None) is None:
            app.processEvents()
        app.processEvents()
        phases["incident on screen"] = time.perf_counter() - started
    print(READY, json.dumps(phases), flush=True)
    window.close()
    if kind != "bare":
        console.close()  # as `commander gui` does on exit: it keeps the long incident's snapshot


def measure(kind: str, store: Path | None, env: dict[str, str]) -> tuple[float, dict[str, float]]:
    command = [sys.executable, __file__, "--child", kind] + (["--store", str(store)] if store else [])
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    elapsed = None
    for line in process.stdout:
        if line.startswith(PAINTED):
            elapsed = time.perf_counter() - began
        if line.startswith(READY) and elapsed is not None:
            process.wait(timeout=60)
            return elapsed, json.loads(line[len(READY) :])
    process.wait(timeout=60)
    raise SystemExit(f"The {kind} start failed:\n{process.stderr.read() if process.stderr else ''}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--child", choices=["bare", "empty", "seeded"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, str(args.store) if args.store else None)
        return 0

    seeded = require_store(args.store)
    home = Path(tempfile.mkdtemp(prefix="commander-startup-"))
    env = quiet_environment(home)
    empty = home / "empty.db"
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"from commander.app.bootstrap import build_console; build_console({str(empty)!r}).database.dispose()",
        ],
        env=env,
        check=True,
    )
    stores = {"bare": None, "empty": empty, "seeded": seeded}
    times: dict[str, list[float]] = {kind: [] for kind in stores}
    phases: dict[str, list[dict[str, float]]] = {kind: [] for kind in stores}
    measure("seeded", seeded, env)  # warm the file cache once, as a person's second start would be
    for _ in range(args.reps):
        for kind, store in stores.items():
            elapsed, inside = measure(kind, store, env)
            times[kind].append(elapsed)
            phases[kind].append(inside)

    bare, on_empty, on_seeded = (statistics.median(times[k]) * 1000 for k in ("bare", "empty", "seeded"))
    print_table(
        f"Start-up to a painted window, median of {args.reps} fresh processes each",
        [
            Figure("bare QMainWindow", bare, "ms"),
            Figure("Commander, empty store", on_empty, "ms"),
            Figure(
                "Commander, seeded store",
                on_seeded,
                "ms",
                note="to first paint; its 50,000-event incident opens right after (see below)",
            ),
            Figure("ratio, empty store", on_empty / bare, "x", target=RATIO_TARGET),
            Figure("ratio, seeded store", on_seeded / bare, "x", target=RATIO_TARGET),
        ],
    )
    print("\nWhere a Commander start spends its time (median ms since the script's first line):")
    for kind in ("empty", "seeded"):
        names = list(phases[kind][0])
        cells = ", ".join(f"{name} {statistics.median(p[name] for p in phases[kind]) * 1000:,.0f}" for name in names)
        print(f"  {kind:7} {cells}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
