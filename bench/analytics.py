"""Analytics over 5,000 incidents: the report computed from a fresh console, and the Trends window's time
to its first painted chart.

Seeds its own store (a lighter seed than seed.py: lifecycles, roles, updates and a few notes rather than
long timelines), every change decided by the real rules against the incident's folded state. Each part
runs in a fresh process on that store.

    .venv/bin/python bench/analytics.py                      # seeds 5,000 incidents into a temp store
    .venv/bin/python bench/analytics.py --incidents 500 --runs 5 --no-ui
    .venv/bin/python bench/analytics.py --keep bench/out/analytics.db   # keep (and reuse) the store
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import Figure, median_ms, peak_rss_mb, print_table, quiet_environment
from seed import PEOPLE, SERVICES, TITLES, IncidentSimulation, write

from commander.app.setup.resources import load_policy
from commander.domain.core.events import EventDraft, incident_stream
from commander.domain.core.policy import Policy
from commander.domain.incident import decisions
from commander.domain.updates import timers
from commander.store.database import Database

RESULT = "RESULT"
FIRST_CHART_TARGET_MS = 500  # issue 6
NOISE_NAMES = ["HighCPU", "DiskAlmostFull", "PodRestarting", "LatencyP99High", "TargetDown"]


def simulate(rng: random.Random, policy: Policy, start: datetime, *, still_open: bool) -> IncidentSimulation:
    """One incident's life: declared (detected a little earlier), roles filled, updates sent roughly on
    cadence (some late, some snoozed), the severity changed now and then, mitigated, resolved (sometimes
    reopened and resolved again) and closed; action items and noise marks on some."""
    sim = IncidentSimulation(rng, policy, start, gap_seconds=60)
    services = rng.sample(SERVICES, rng.randint(1, 3))
    severity = rng.choices(["SEV1", "SEV2", "SEV3", "SEV4"], weights=[1, 3, 5, 2])[0]
    sim.declare(rng.choice(TITLES).format(s=services[0]), severity, services, drill=rng.random() < 0.03)
    clock = sim.consoles

    def at(minutes: float) -> datetime:
        clock.advance(minutes * 60)
        return clock.wall

    sim.attempt(decisions.assign_role, "tl", rng.choice(sim.crew), policy=policy)
    at(rng.uniform(1, 8))
    sim.attempt(decisions.assign_role, "comms", rng.choice(sim.crew), policy=policy)
    if rng.random() < 0.3:
        sim.attempt(
            decisions.set_milestone, "acknowledged", clock.wall - timedelta(minutes=rng.uniform(0, 3)), now=clock.wall
        )
    for _ in range(rng.randint(1, 4)):
        sim.attempt(decisions.add_note, "Looking at the dashboards", now=at(rng.uniform(1, 6)))
    length = rng.lognormvariate(4.0, 0.8)  # minutes to mitigation: a median near an hour
    elapsed = 0.0
    while elapsed < length:
        due = timers.next_update(sim.state, policy, clock.wall)
        step = (due.remaining(clock.wall).total_seconds() / 60 if due.due else 30) + rng.uniform(-4, 6)
        step = max(1.0, step)
        elapsed += step
        now = at(step)
        roll = rng.random()
        if roll < 0.05 and due.due is not None:
            sim.attempt(timers.snooze, policy, 10, "waiting for the vendor", now=now)
        elif roll < 0.15:
            sim.attempt(
                decisions.change_severity, rng.choice(policy.severities).key, reason="impact reassessed", policy=policy
            )
        else:
            sim.attempt(timers.record_update, "#incidents", "Still investigating", now=now)
        if rng.random() < 0.05:
            sim.attempt(decisions.assign_role, "ic", rng.choice(sim.crew), policy=policy)
    if still_open:
        sim.attempt(decisions.change_status, rng.choice(["identified", "mitigated"]), now=clock.wall)
        return sim
    sim.attempt(decisions.change_status, "mitigated", now=clock.wall)
    sim.attempt(decisions.change_status, "resolved", now=at(rng.uniform(5, 90)))
    if rng.random() < 0.04:  # reopened, then resolved again
        sim.attempt(decisions.change_status, "investigating", now=at(rng.uniform(10, 120)), reason="errors are back")
        sim.attempt(decisions.change_status, "resolved", now=at(rng.uniform(10, 60)))
    stream = incident_stream(sim.id)
    for n in range(rng.choice([0, 0, 1, 2, 3])):
        due = (clock.wall + timedelta(days=rng.randint(3, 21))).date().isoformat()
        sim.commit(
            [
                EventDraft(
                    stream,
                    "action.created",
                    {
                        "title": f"Follow-up {n + 1}",
                        "owner": rng.choice(PEOPLE),
                        "due": due,
                        "priority": "P3",
                        "type": rng.choice(["prevent", "detect", "mitigate", "process"]),
                        "source": "postmortem",
                        "finding": "",
                    },
                )
            ]
        )
        if rng.random() < 0.6:
            action = sim.events[-1].id
            sim.commit([EventDraft(stream, "action.updated", {"action": action, "changes": {"status": "done"}})])
    if rng.random() < 0.1:
        name = rng.choice(NOISE_NAMES)
        sim.commit(
            [
                EventDraft(
                    stream,
                    "alert.noise",
                    {
                        "source": "alertmanager",
                        "name": name,
                        "reason": "flapping",
                        "fingerprint": f"{rng.getrandbits(48):x}",
                    },
                )
            ]
        )
    sim.attempt(decisions.change_status, "closed", now=at(rng.uniform(60, 600)))
    return sim


def seed(path: Path, incidents: int, rng_seed: int) -> tuple[int, float]:
    """Write `incidents` incidents over the last two years; returns (events, seconds)."""
    began = time.perf_counter()
    rng = random.Random(rng_seed)
    policy = load_policy()
    database = Database(f"sqlite:///{path}")
    database.open()
    now = datetime.now(UTC).replace(microsecond=0)
    first = now - timedelta(days=730)
    pending: list[IncidentSimulation] = []
    written = 0
    for number in range(incidents):
        start = first + timedelta(days=730 * number / incidents, minutes=rng.randint(0, 600))
        sim = simulate(rng, policy, start, still_open=number >= incidents - max(1, incidents // 200))
        pending.append(sim)
        written += len(sim.events)
        if len(pending) >= 500:
            write(database, pending)
            pending = []
    write(database, pending)
    database.dispose()
    return written, time.perf_counter() - began


def core(store: str, runs: int) -> dict[str, object]:
    from commander.app import analytics
    from commander.app.bootstrap import build_console
    from commander.domain.analytics.figures import ReportFilter

    console = build_console(store)
    everything = ReportFilter()
    began = time.perf_counter()
    report = analytics.report(console, everything)
    first = time.perf_counter() - began
    timings, read, refilter = [], [], []
    for n in range(runs):
        began = time.perf_counter()
        gathered = analytics.collect(console)
        read.append(time.perf_counter() - began)
        report = analytics.summarise(console, gathered, everything)
        timings.append(time.perf_counter() - began)
        severity = console.policy.severities[n % len(console.policy.severities)].key
        began = time.perf_counter()
        analytics.summarise(console, gathered, ReportFilter(severities=frozenset({severity})))
        refilter.append(time.perf_counter() - began)
    return {
        "first": first,
        "report": timings,
        "read": read,
        "refilter": refilter,
        "incidents": len(report.facts),
        "kinds": len(analytics.kinds()),
        "rss": peak_rss_mb(),
    }


def ui(store: str) -> dict[str, object]:
    """The window from construction to its first chart painted, then to every chart filled. Waits in Qt's
    event loop (a busy loop of processEvents would also drain None's references under PySide6 6.12 on
    CPython 3.11: see commander/ui/analytics/charts.py)."""
    from PySide6.QtCore import QEventLoop, QTimer

    from commander.app.bootstrap import build_console
    from commander.ui.shell.app import application

    _app = application()  # the QApplication lives while this reference does
    console = build_console(store)
    marks: dict[str, float] = {}
    loop = QEventLoop()
    began = time.perf_counter()
    from commander.ui.analytics.view import TrendsWindow  # the menu imports it on first use: timed too

    window = TrendsWindow(console)
    window.counts_chart.data_painted.connect(lambda: marks.setdefault("first", time.perf_counter()))
    window.load_chart.data_painted.connect(lambda: marks.setdefault("complete", time.perf_counter()))
    window.load_chart.data_painted.connect(loop.quit)
    window.resize(1280, 860)
    window.show()
    QTimer.singleShot(60_000, loop.quit)  # a run that never finishes says so below
    loop.exec()
    window.close()
    if "complete" not in marks:
        raise SystemExit("The Trends window did not fill its charts within a minute.")
    return {"first_chart": marks["first"] - began, "complete": marks["complete"] - began, "rss": peak_rss_mb()}


def spawn(part: str, store: Path, runs: int, env: dict[str, str]) -> dict[str, object]:
    command = [sys.executable, __file__, "--child", part, "--keep", str(store), "--runs", str(runs)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900, check=False)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT):
            return json.loads(line[len(RESULT) :])  # type: ignore[no-any-return]
    raise SystemExit(f"The {part} measurement failed:\n{done.stderr}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=7, help="reports computed, each timed")
    parser.add_argument("--windows", type=int, default=5, help="Trends windows opened, each in a fresh process")
    parser.add_argument("--keep", type=Path, help="seed into this file and keep it (reused when it exists)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-ui", action="store_true", help="skip the window")
    parser.add_argument("--child", choices=["core", "ui"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "core":
        print(RESULT, json.dumps(core(str(args.keep), args.runs)), flush=True)
        return 0
    if args.child == "ui":
        print(RESULT, json.dumps(ui(str(args.keep))), flush=True)
        return 0

    store: Path = args.keep or Path(tempfile.mkdtemp(prefix="commander-analytics-")) / "store.db"
    figures = []
    if not store.is_file():
        store.parent.mkdir(parents=True, exist_ok=True)
        events, seconds = seed(store, args.incidents, args.seed)
        figures.append(
            Figure(
                "seed (not a target)",
                seconds,
                "s",
                note=f"{args.incidents:,} incidents, {events:,} events, {store.stat().st_size / 1e6:,.0f} MB",
            )
        )
    env = quiet_environment()
    measured = spawn("core", store, args.runs, env)
    report, read, refilter = (
        [float(x) for x in measured[key]]  # type: ignore[attr-defined]
        for key in ("report", "read", "refilter")
    )
    figures += [
        Figure(
            "report over every incident, fresh console",
            float(measured["first"]) * 1000,  # type: ignore[arg-type]
            "ms",
            note=f"{measured['incidents']:,} incidents (drills left out), every figure",
        ),
        Figure(
            "report over every incident, median",
            median_ms(report),
            "ms",
            note=f"median of {args.runs}; max {max(report) * 1000:,.0f} ms",
        ),
        Figure(
            "  of which: read list + events",
            median_ms(read),
            "ms",
            note=f"one scan of the log for {measured['kinds']} kinds",
        ),
        Figure(
            "another filter over the same read",
            median_ms(refilter),
            "ms",
            note="facts kept: only the sums again (one severity)",
        ),
        Figure("peak RSS, core process", float(measured["rss"]), "MB"),  # type: ignore[arg-type]
    ]
    if not args.no_ui:
        shown = [spawn("ui", store, args.runs, env) for _ in range(args.windows)]
        first = [float(s["first_chart"]) for s in shown]  # type: ignore[arg-type]
        complete = [float(s["complete"]) for s in shown]  # type: ignore[arg-type]
        figures += [
            Figure(
                "Trends window: open to first chart painted",
                median_ms(first),
                "ms",
                target=FIRST_CHART_TARGET_MS,
                note=f"median of {args.windows} fresh processes; max {max(first) * 1000:,.0f} ms",
            ),
            Figure(
                "Trends window: every chart and table filled",
                median_ms(complete),
                "ms",
                note="default range (12 months); worked out off the UI thread",
            ),
        ]
    print_table(f"Analytics over {measured['incidents']:,} incidents", figures)
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{store}{suffix}").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
