"""Paging and escalation on the UI thread (issue 7).

The window asks every second whether the incident on screen has an escalation due; when one is, it writes
the escalation's events on the UI thread and sends the pages from a worker. A local service answers as
PagerDuty's Events API v2 does, after 300 ms.

Figures, medians:
  the per-second check on an incident paging a service, nothing due (target: under 1 ms: it runs every second;
  it reads only the fold's runs, so the incident's length does not matter);
  writing one escalation step (page.escalated and its page.sent) on the UI thread, the window's panels redrawn
  included (target: under 16 ms, a frame);
  the longest UI-thread stall from the tick that escalates until PagerDuty's answer is recorded (target: 50 ms).

    .venv/bin/python bench/paging.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from _common import ROOT, Figure, print_table, quiet_environment

from commander.app import incident, timeline

sys.path.insert(0, str(ROOT))
os.environ.update({k: v for k, v in quiet_environment().items() if k.startswith(("COMMANDER", "XDG", "QT_"))})

SCHEDULES = """
schedules:
  - name: Payments primary
    time_zone: UTC
    layers:
      - {name: Everyone, rotation: custom, shift_hours: 672, handoff: "00:00", start: "2020-01-06",
         participants: [Sam, Kim]}
escalation_policies:
  - name: Payments
    repeat: 2
    levels:
      - {delay_minutes: 15, targets: [{schedule: Payments primary}]}
      - {delay_minutes: 30, targets: [{person: Morgan}, {person: Lee}]}
services:
  payments: Payments
"""


def one_run() -> tuple[float, float, float]:
    """Seconds for the idle check, seconds for the escalation's writes, milliseconds of the longest stall."""
    import keyring
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from commander.app import oncall, paging
    from commander.app.bootstrap import build_console
    from commander.domain.incident.decisions import Declaration
    from commander.integrations.secrets import SecretStore
    from commander.ui.paging.runner import runner_for
    from commander.ui.shell.main_window import MainWindow
    from commander.ui.shell.settings import UiSettings
    from tests.helpers.fakes import serve
    from tests.helpers.keyring_memory import MemoryKeyring
    from tests.helpers.pagerduty_fake import ROUTING_KEY, PagerDutyFake

    keyring.set_keyring(MemoryKeyring())  # the bench never touches the person's keyring
    app = QApplication.instance() or QApplication([])
    folder = Path(tempfile.mkdtemp(prefix="commander-bench-paging-"))
    console = build_console(str(folder / "c.db"))
    oncall.import_yaml(console, SCHEDULES)
    state = incident.declare(
        console, Declaration(title="Checkout API returning 502s", severity="SEV1", services=("payments",))
    )
    for n in range(300):  # a working incident, not an empty one
        timeline.add_note(console, state.id, f"note {n}")
    fake = PagerDutyFake()

    class Slow(PagerDutyFake):
        def __call__(self, request):  # type: ignore[no-untyped-def]
            reply = fake(request)
            reply.delay = 0.3
            return reply

    with serve(Slow()) as server:
        paging.add_pager(
            console, "pagerduty", "PagerDuty", {"api_url": f"{server.base}/v2/enqueue"}, ROUTING_KEY, SecretStore()
        )
        paging.run(console, paging.page_service(console, state.id, "payments", None, SecretStore()))
        window = MainWindow(console, UiSettings(folder / "ui.ini"))
        window.remember_state = False
        window.show()
        window.select_incident(state.id)
        app.processEvents()
        runner = runner_for(window, console)
        idle = []
        for _ in range(200):
            began = time.perf_counter()
            window.pages.tick(console.now())
            runner.tick(state.id)
            idle.append(time.perf_counter() - began)

        moment = console.now() + timedelta(minutes=15, seconds=1)
        console.wall = lambda: moment
        clock, last, stall = QElapsedTimer(), [0.0], [0.0]

        def beat() -> None:
            now = clock.nsecsElapsed() / 1e6
            stall[0] = max(stall[0], now - last[0] - 5)
            last[0] = now

        timer = QTimer()
        timer.setInterval(5)
        timer.timeout.connect(beat)
        clock.start()
        timer.start()
        app.processEvents()
        last[0] = clock.nsecsElapsed() / 1e6
        began = time.perf_counter()
        runner.tick(state.id)  # writes the escalation here, sends on a worker
        wrote = time.perf_counter() - began
        deadline = time.monotonic() + 10
        while runner.sending and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.001)
        timer.stop()
        if len(fake.alerts) != 3:
            sys.exit(f"expected Sam, Morgan and Lee paged; PagerDuty holds {len(fake.alerts)} alerts")
        window.close()
        window.deleteLater()
        app.processEvents()
        console.close()
    return statistics.median(idle), wrote, stall[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    one_run()  # warm: imports, the TLS context
    idle, wrote, stalls = [], [], []
    for run in range(args.runs):
        check, write, stall = one_run()
        idle.append(check)
        wrote.append(write)
        stalls.append(stall)
        print(
            f"run {run + 1}: idle check {check * 1e6:.0f} µs, escalation written in {write * 1000:.1f} ms, "
            f"longest UI stall {stall:.1f} ms"
        )
    print_table(
        "Escalation on the window's tick",
        [
            Figure(
                "the per-second check, nothing due (median)",
                statistics.median(idle) * 1e6,
                "µs",
                1000,
                note="Pages tab countdown + due check, 300-note incident",
            ),
            Figure(
                "one escalation step written on the UI thread",
                statistics.median(wrote) * 1000,
                "ms",
                16,
                note="page.escalated + 2 page.sent, one transaction",
            ),
            Figure(
                "longest UI-thread stall until the answer is recorded",
                statistics.median(stalls),
                "ms",
                50,
                note="PagerDuty answering after 300 ms",
            ),
            Figure("longest UI-thread stall (worst run)", max(stalls), "ms", 50),
        ],
    )


if __name__ == "__main__":
    main()
