"""Attaching a 200-step runbook to an incident and ticking its steps, with the window open.

Runs in a fresh process on a new store in a temporary folder (nothing to seed first):
  core: Console.attach_checklist of a 200-step runbook (one event carrying the steps), and
        Console.check_step on it (one SQLite transaction, synchronous=FULL);
  ui:   the main window showing the incident; the UI thread's time from the attach call to the checklist
        painted, and from Space on a selected step to its row painted (the tick must fit in a frame).

    .venv/bin/python bench/checklist.py
    .venv/bin/python bench/checklist.py --steps 500 --ticks 60
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
from typing import Any

from _common import ROOT, Figure, median_ms, print_table, quiet_environment

from commander.app import checklists, timeline
from commander.app import incident as app_incident

RESULT = "RESULT"


def runbook(steps: int) -> Any:
    """A realistic runbook of `steps` steps: sections of ten, commands on most, every third with a sub-step."""
    sys.path.insert(0, str(ROOT))
    from commander.domain.runbooks.library import Runbook, Section, Step, numbered

    sections, made, number = [], 0, 0
    kinds = ("Diagnosis", "Mitigation", "Verify", "Escalation")
    while made < steps:
        number += 1
        items = []
        for position in range(1, 11):
            if made >= steps:
                break
            made += 1
            children: tuple[Step, ...] = ()
            if position % 3 == 0 and made < steps:
                made += 1
                children = (Step("", f"Confirm the pods in app-{made} are Running and Ready", "verify"),)
            items.append(
                Step(
                    "",
                    f"Check the consumer lag of partition group {made} and compare it with the dashboard's baseline",
                    "diagnose",
                    f"kubectl -n app-{made} exec deploy/consumer -- lag --group g{made}",
                    f"https://grafana.example.com/d/lag?var-group=g{made}",
                    children,
                )
            )
        sections.append(Section(f"{kinds[number % len(kinds)]} {number}", tuple(items)))
    return Runbook(
        id="bench-runbook",
        title=f"Queue backlog ({steps} steps)",
        version=1,
        version_id="bench-v1",
        sections=numbered(sections),
    )


def _declare(console: Any, notes: int) -> str:
    from commander.domain.incident.decisions import Declaration

    state = app_incident.declare(
        console, Declaration(title="Order queue backing up", severity="SEV2", services=("orders",))
    )
    for n in range(notes):
        timeline.add_note(console, state.id, f"Lag on partition group {n} is {n * 37 % 900} messages and rising")
    return str(state.id)


def core(folder: str, steps: int, ticks: int) -> dict[str, object]:
    from commander.app.bootstrap import build_console

    console = build_console(str(Path(folder) / "core.db"))
    incident = _declare(console, 50)
    book = runbook(steps)
    attach, tick = [], []
    for _ in range(5):
        began = time.perf_counter()
        [event] = checklists.attach_checklist(console, incident, book)
        attach.append(time.perf_counter() - began)
        checklists.detach_checklist(console, incident, event.id)
    [event] = checklists.attach_checklist(console, incident, book)
    step_ids = list(console.state(incident).checklists[event.id].steps)
    for n in range(ticks):
        began = time.perf_counter()
        checklists.check_step(console, incident, event.id, step_ids[(n * 7) % len(step_ids)])
        tick.append(time.perf_counter() - began)
    console.close()
    return {"attach": attach, "tick": tick, "steps": len(step_ids)}


def ui(folder: str, steps: int, ticks: int) -> dict[str, object]:
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
    console = build_console(str(Path(folder) / "ui.db"))
    incident = _declare(console, 200)
    window = MainWindow(console, UiSettings(Path(folder) / "ui.ini"))
    window.remember_state = False
    window.resize(1440, 900)
    window.show()
    window.select_incident(incident)
    panel = window.checklists
    viewport = panel.tree.viewport()
    watcher = Paints()
    viewport.installEventFilter(watcher)
    for _ in range(3):
        app.processEvents()
    paints = Paints.count
    began = time.perf_counter()
    [event] = checklists.attach_checklist(console, incident, runbook(steps))
    while Paints.count == paints:
        app.processEvents()
    attach_to_painted = time.perf_counter() - began
    _settle(app, 0.5)  # what a person takes to read the list before the first tick
    checklist = console.state(incident).checklists[event.id]
    step_ids = list(checklist.steps)
    panel.tree.setFocus()
    space_to_row, console_part = [], []
    for n in range(ticks):
        step_id = step_ids[(n * 7) % len(step_ids)]
        panel.select_step(checklist.id, step_id)
        _settle(app, 0.05)  # scrolling to the step, the previous tick's paint, timers that fell due
        before, paints = checklist.steps[step_id].state, Paints.count
        began = time.perf_counter()
        QTest.keyClick(panel.tree, Qt.Key.Key_Space)
        handled = time.perf_counter()
        while Paints.count == paints:
            app.processEvents()
        space_to_row.append(time.perf_counter() - began)
        console_part.append(handled - began)
        state = console.state(incident).checklists[event.id].steps[step_id].state
        if state == before:
            raise SystemExit("Space did not tick the step: the benchmark measures the wrong thing.")
    window.close()
    return {"attach": attach_to_painted, "space": space_to_row, "handled": console_part, "steps": len(step_ids)}


def _settle(app: Any, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


def spawn(part: str, args: argparse.Namespace) -> dict[str, Any]:
    folder = tempfile.mkdtemp(prefix="commander-checklist-")
    command = [
        sys.executable,
        __file__,
        "--child",
        part,
        "--folder",
        folder,
        "--steps",
        str(args.steps),
        "--ticks",
        str(args.ticks),
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, env=quiet_environment(Path(folder)), timeout=900, check=False, cwd=ROOT
    )
    for line in done.stdout.splitlines():
        if line.startswith(RESULT):
            return json.loads(line[len(RESULT) :])  # type: ignore[no-any-return]
    raise SystemExit(f"The {part} measurement failed:\n{done.stderr}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200, help="steps in the runbook attached")
    parser.add_argument("--ticks", type=int, default=40, help="steps ticked, each timed")
    parser.add_argument("--no-ui", action="store_true", help="skip the window")
    parser.add_argument("--child", choices=["core", "ui"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        sys.path.insert(0, str(ROOT))
        measure = core if args.child == "core" else ui
        print(RESULT, json.dumps(measure(args.folder, args.steps, args.ticks)), flush=True)
        return 0

    measured = spawn("core", args)
    figures = [
        Figure(
            "attach the runbook (Console.attach_checklist)",
            median_ms(measured["attach"]),
            "ms",
            note=f"{measured['steps']} steps in one event; median of 5",
        ),
        Figure(
            "tick a step (Console.check_step)",
            median_ms(measured["tick"]),
            "ms",
            target=16,
            note=f"max {max(measured['tick']) * 1000:,.1f} ms over {args.ticks}",
        ),
    ]
    if not args.no_ui:
        shown = spawn("ui", args)
        space = [float(x) for x in shown["space"]]
        figures += [
            Figure(
                "attach to checklist painted (UI thread)",
                float(shown["attach"]) * 1000,
                "ms",
                note="with 200 notes on the timeline",
            ),
            Figure(
                "Space to row painted (UI thread)",
                median_ms(space),
                "ms",
                target=16,
                note=f"p90 {statistics.quantiles(space, n=10)[-1] * 1000:,.1f} ms; of which the console call "
                f"and the panels' update {median_ms(shown['handled']):,.1f} ms",
            ),
        ]
    print_table(f"Checklists: a {args.steps}-step runbook on an incident", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
