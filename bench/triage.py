"""The Alerts window with 5,000 firing alerts from one source (issue 7).

A local server on 127.0.0.1 answers GET /api/v2/alerts as Alertmanager's API v2 does, with 5,000 alerts
in 250 groups (50 alert names on 5 services, 20 instances each). The real Alerts window reads it (worker
thread: HTTP, parsing, grouping; UI thread: the model reset and the paint) while a 5 ms timer on the UI
thread measures how long the event loop is kept from running.

Figures, median over runs (a fresh store and window each run):
  time to show: from opening the window to the 5,000 alerts in the painted list (target: under 1 s);
  the longest UI-thread stall during a refresh (every 30 s, or F5) with groups open and a selection
  kept (target: under 50 ms); the stall while the window first shows is printed beside it.

    .venv/bin/python bench/triage.py [--runs 5] [--refreshes 4] [--alerts 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from _common import ROOT, Figure, print_table

sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")


def alerts_json(count: int) -> bytes:
    """`count` gettableAlerts: 50 names x 5 services, spread over instances, as Alertmanager lists them."""
    found: list[dict[str, Any]] = []
    for n in range(count):
        name, service = f"Alert{n % 50:02d}", f"service-{n // 50 % 5}"
        labels = {
            "alertname": name,
            "service": service,
            "severity": ("critical", "warning", "info")[n % 3],
            "instance": f"node-{n:05d}:9100",
            "job": "node",
            "cluster": "eu-west-1",
        }
        found.append(
            {
                "fingerprint": f"{n:016x}",
                "labels": labels,
                "annotations": {
                    "summary": f"{name} firing on {labels['instance']}",
                    "description": "Long text " * 10,
                    "runbook_url": f"https://runbooks.example/{name}",
                },
                "startsAt": "2026-11-28T08:12:00.000Z",
                "endsAt": "2026-11-28T09:12:00.000Z",
                "updatedAt": "2026-11-28T08:12:00.000Z",
                "generatorURL": "http://prometheus:9090/graph",
                "receivers": [{"name": "null"}],
                "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
            }
        )
    return json.dumps(found).encode()


def serve(body: bytes) -> str:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def one_run(base: str, expected: int, refreshes: int) -> tuple[float, float, list[float]]:
    """Open the window on a fresh store; returns seconds to the painted list, the longest UI stall
    meanwhile (ms, window creation included), and the longest UI stall of each refresh after, with
    groups open and an alert selected (ms)."""
    import keyring
    from PySide6.QtCore import QElapsedTimer, QItemSelectionModel, QTimer
    from PySide6.QtWidgets import QApplication

    from commander.app import alerts
    from commander.app.bootstrap import build_console
    from commander.integrations.secrets import SecretStore
    from commander.ui.alerts.view import TriageView
    from tests.helpers.keyring_memory import MemoryKeyring

    keyring.set_keyring(MemoryKeyring())  # the bench never touches the person's keyring
    app = QApplication.instance() or QApplication([])
    console = build_console(str(Path(tempfile.mkdtemp(prefix="commander-bench-triage-")) / "c.db"))
    alerts.add_source(console, "alertmanager", "prod", base, {}, "", SecretStore())
    view = TriageView(console, lambda: None)
    view.resize(1400, 900)
    clock = QElapsedTimer()
    last, stall, done = [0.0], [0.0], [False]

    def tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        stall[0] = max(stall[0], now - last[0] - 5)
        last[0] = now

    def wait_for_refresh() -> None:
        done[0] = False
        deadline = time.monotonic() + 30
        while not done[0] and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.0005)
        view.tree.viewport().repaint()  # the list painted, as the person sees it

    view.refreshed.connect(lambda: done.__setitem__(0, True))
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    clock.start()
    timer.start()
    app.processEvents()
    last[0] = clock.nsecsElapsed() / 1e6
    began = clock.nsecsElapsed() / 1e9
    view.show()
    wait_for_refresh()
    shown = clock.nsecsElapsed() / 1e9 - began
    first_stall = stall[0]
    if view.model.alert_count != expected:
        sys.exit(f"The window shows {view.model.alert_count} alerts, not {expected}: {view.results}")

    for row in range(0, len(view.model.groups), 10):  # some groups open, one alert selected
        view.tree.setExpanded(view.model.index(row, 0), True)
    view.tree.selectionModel().select(
        view.model.index(3, 0, view.model.index(10, 0)),
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
    )
    app.processEvents()
    refresh_stalls = []
    for _ in range(refreshes):
        stall[0] = 0.0
        last[0] = clock.nsecsElapsed() / 1e6
        view.refresh()  # what the 30 s timer and F5 do
        wait_for_refresh()
        refresh_stalls.append(stall[0])
    timer.stop()
    view.timer.stop()
    view.hide()
    view.deleteLater()
    console.close()
    return shown, first_stall, refresh_stalls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--alerts", type=int, default=5000)
    parser.add_argument("--refreshes", type=int, default=4, help="refreshes per run, after the window shows")
    args = parser.parse_args()
    body = alerts_json(args.alerts)
    base = serve(body)
    cold, cold_stall, _ = one_run(base, args.alerts, 1)  # the first in a process imports modules
    print(f"first window in the process: shown in {cold * 1000:.0f} ms, longest UI stall {cold_stall:.1f} ms")
    shown, stalls, refresh_stalls = [], [], []
    for run in range(args.runs):
        took, stall, refreshed = one_run(base, args.alerts, args.refreshes)
        shown.append(took)
        stalls.append(stall)
        refresh_stalls += refreshed
        print(
            f"run {run + 1}: shown in {took * 1000:.0f} ms (longest UI stall {stall:.1f} ms, opening the window "
            f"included); refreshes: longest UI stall " + ", ".join(f"{s:.1f}" for s in refreshed) + " ms"
        )
    refresh_stalls.sort()
    print_table(
        f"Alerts window, {args.alerts:,} firing alerts from one source ({len(body) / 1e6:.1f} MB of JSON)",
        [
            Figure(
                "time to show (median)",
                statistics.median(shown) * 1000,
                "ms",
                1000,
                note="window opened to the list painted; HTTP, parsing and grouping on a worker",
            ),
            Figure("time to show, first in the process", cold * 1000, "ms", note="imports, TLS context"),
            Figure(
                "longest UI-thread stall while showing (median)",
                statistics.median(stalls),
                "ms",
                note="making and showing the window included",
            ),
            Figure(
                "longest UI-thread stall during a refresh (median)",
                statistics.median(refresh_stalls),
                "ms",
                50,
                note=f"{len(refresh_stalls)} refreshes, some groups open and a selection kept",
            ),
            Figure(
                "longest UI-thread stall during a refresh (p90)",
                refresh_stalls[int(len(refresh_stalls) * 0.9)],
                "ms",
                50,
            ),
            Figure("longest UI-thread stall during a refresh (worst)", refresh_stalls[-1], "ms", 50),
        ],
    )
    os._exit(0)


if __name__ == "__main__":
    main()
