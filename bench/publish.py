"""One click to six destinations where one hangs for 30 s (issue 4).

Six local services on 127.0.0.1 answer as Slack, Mattermost, Discord, Teams, Matrix and a signed JSON
webhook do, each after its own network delay; the webhook hangs for 30 s. The real Send update dialog
publishes to all six (Send pressed programmatically, confirmation skipped) while a 5 ms timer on the UI
thread measures how long the event loop is kept from running.

Figures, median over runs (a fresh store each run):
  time from Send to the five healthy ones delivered, as a ratio to the slowest healthy one's delay
  (target: within 1.5x), and the longest UI-thread stall from Send until then (target: under 50 ms).

    .venv/bin/python bench/publish.py [--runs 5]
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

from _common import ROOT, Figure, print_table

from commander.app import incident

sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# path prefix -> (delay in seconds, status, body): what each service answers, and after how long
SERVICES = {
    "/slack": (0.040, 200, "ok"),
    "/mattermost": (0.060, 200, "ok"),
    "/discord": (0.080, 200, json.dumps({"id": "1184", "channel_id": "42", "content": ""})),
    "/teams": (0.100, 202, ""),
    "/_matrix": (0.150, 200, json.dumps({"event_id": "$bench"})),
    "/webhook": (30.0, 204, ""),  # the hanging one
}
SLOWEST_HEALTHY = max(delay for delay, _, _ in SERVICES.values() if delay < 10)


class Handler(BaseHTTPRequestHandler):
    def answer(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        delay, status, body = next(v for k, v in SERVICES.items() if self.path.startswith(k))
        time.sleep(delay)
        payload = body.encode()
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json" if body.startswith("{") else "text/plain")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_POST = do_PUT = do_GET = answer  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


def one_run(base: str, only: str | None = None) -> tuple[float, float]:
    """Send to all six (or `only` one of them); returns the seconds until every healthy one chosen is
    delivered, and the longest UI-thread stall meanwhile in milliseconds."""
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from commander.app.bootstrap import build_console
    from commander.app.updates import publishing
    from commander.domain.incident.decisions import Declaration
    from commander.integrations.secrets import SecretStore
    from commander.ui.updates.send import SendUpdateDialog

    app = QApplication.instance() or QApplication([])
    folder = Path(tempfile.mkdtemp(prefix="commander-bench-publish-"))
    run = folder.name  # in every URL: Slack's and Teams' pacing is per webhook, and each run is a new click
    console = build_console(str(folder / "c.db"))
    secrets = SecretStore()
    for kind, name, options, secret in (
        ("slack", "#incidents", {}, f"{base}/slack/T0/B0/{run}"),
        ("mattermost", "~incidents", {}, f"{base}/mattermost/hooks/{run}"),
        ("discord", "Discord #status", {}, f"{base}/discord/api/webhooks/1/{run}"),
        ("teams", "Teams Ops", {"format": "adaptive"}, f"{base}/teams/workflows/{run}"),
        ("matrix", "Matrix ops", {"homeserver": base, "room": "!ops:bench"}, "syt_token"),
        ("webhook", "Ops webhook", {"url": f"{base}/webhook"}, "signing-key"),
    ):
        publishing.add(console, kind, name, options, secret, secrets)
    state = incident.declare(
        console,
        Declaration(
            title="Checkout API returning 502s", severity="SEV1", services=("checkout",), summary="EU checkout failing"
        ),
    )
    dialog = SendUpdateDialog(console, state.id)
    dialog.show()
    app.processEvents()

    delivered: list[float] = []
    clock = QElapsedTimer()
    last = [0.0]
    stalls = [0.0]
    watching = [True]

    def tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        stalls[0] = max(stalls[0], now - last[0] - 5)
        last[0] = now

    def heard(name: str, state_: str, detail: str) -> None:
        if os.environ.get("BENCH_VERBOSE"):
            print(f"  {clock.nsecsElapsed() / 1e6:8.1f} ms  {name}: {state_} {detail}")
        if state_ == "delivered":
            delivered.append(clock.nsecsElapsed() / 1e9)

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    dialog.relay.state_changed.connect(heard)
    clock.start()
    timer.start()
    app.processEvents()
    last[0] = clock.nsecsElapsed() / 1e6
    began = clock.nsecsElapsed() / 1e9
    names = [only] if only else dialog.chosen()
    healthy = len([n for n in names if n != "Ops webhook"])
    dialog.send(names)  # what the confirmation's Yes does; on the UI thread, as there
    if dialog.error.text():
        sys.exit(f"The dialog refused to send: {dialog.error.text()}")
    deadline = time.monotonic() + 20
    while len(delivered) < healthy and time.monotonic() < deadline and watching[0]:
        app.processEvents()
        time.sleep(0.001)
    timer.stop()
    took = (delivered[healthy - 1] - began) if len(delivered) >= healthy else float("inf")
    dialog.hide()
    dialog.deleteLater()
    return took, stalls[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    cold, cold_stall = one_run(base)  # the first send in a process makes the TLS context, loads modules
    print(f"first send in the process: five delivered in {cold * 1000:.0f} ms, longest UI stall {cold_stall:.1f} ms")
    times, alone, stalls = [], [], []
    for run in range(args.runs):
        took, stall = one_run(base)
        by_itself, _ = one_run(base, only="Matrix ops")
        times.append(took)
        alone.append(by_itself)
        stalls.append(stall)
        print(
            f"run {run + 1}: five delivered in {took * 1000:.0f} ms (the slowest healthy alone: "
            f"{by_itself * 1000:.0f} ms), longest UI stall {stall:.1f} ms"
        )
    ratio = statistics.median(times) / statistics.median(alone)
    print_table(
        "One click to six destinations, one hanging 30 s",
        [
            Figure(
                "five healthy delivered (median)",
                statistics.median(times) * 1000,
                "ms",
                note=f"from Send; the slowest healthy service answers after {SLOWEST_HEALTHY * 1000:.0f} ms",
            ),
            Figure(
                "the slowest healthy one sent alone (median)",
                statistics.median(alone) * 1000,
                "ms",
                note="the same click, to Matrix only",
            ),
            Figure("ratio: five of six / the slowest alone", ratio, "x", 1.5),
            Figure("five delivered, first send in the process", cold * 1000, "ms", note="TLS context, imports"),
            Figure("longest UI-thread stall (worst run)", max([*stalls, cold_stall]), "ms", 50),
            Figure("longest UI-thread stall (median)", statistics.median(stalls), "ms", 50),
        ],
    )
    os._exit(0)  # the hanging requests' threads would hold the process for 30 s more


if __name__ == "__main__":
    main()
