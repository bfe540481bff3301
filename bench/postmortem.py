"""Drafting the postmortem of an incident with 10,000 events (issue 6: under 1 s).

Runs in a fresh process on a new store in a temporary folder (nothing to seed first). The incident is written
the way bench/seed.py writes one: every change decided by the real rules against the folded state, stamped
by several simulated consoles, walked from declaration to resolution. Then, each on a fresh console:
  cold:  no snapshot: Console.view (load + fold + timeline) and the draft (facts + template), what the first
         "Start postmortem" on a console costs;
  warm:  the snapshot Console.close keeps, plus reading the events the draft needs;
  start: the draft recorded (postmortem.drafted + postmortem.meta), and the PDF export of the result.

    .venv/bin/python bench/postmortem.py
    .venv/bin/python bench/postmortem.py --events 20000 --runs 9
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import ROOT, Figure, median_ms, print_table, quiet_environment

RESULT = "RESULT"


def seed(path: Path, events: int) -> str:
    """One resolved incident of `events` events, through the real decisions; returns its id."""
    from seed import IncidentSimulation, write

    from commander.app.setup.resources import load_policy
    from commander.store.database import Database

    rng = random.Random(2026)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    sim = IncidentSimulation(rng, load_policy(), start, gap_seconds=86_400 / events)
    sim.declare("Payments platform degraded", "SEV1", ["payments", "checkout", "kafka"])
    sim.run(events, end_status="resolved")
    database = Database(f"sqlite:///{path}")
    database.open()
    write(database, [sim])
    database.dispose()
    return str(sim.id)


def core(folder: str, events: int, runs: int) -> dict[str, object]:
    from commander.app import postmortem
    from commander.app.bootstrap import build_console
    from commander.domain.postmortem.document import to_html
    from commander.domain.postmortem.draft import facts, render_sections

    store = Path(folder) / "postmortem.db"
    incident = seed(store, events)
    cold, warm, opened, drafted = [], [], [], []
    count = 0
    for _ in range(runs):
        with sqlite3.connect(store) as conn:
            conn.execute("DELETE FROM snapshots")
        conn.close()
        console = build_console(str(store))
        gc.collect()
        began = time.perf_counter()
        view = console.view(incident)
        loaded = time.perf_counter()
        sections = postmortem.draft(console, incident)
        done = time.perf_counter()
        cold.append(done - began)
        opened.append(loaded - began)
        drafted.append(done - loaded)
        count = view.state.event_count
        console.close()  # keeps the snapshot the next console starts from
        console = build_console(str(store))
        gc.collect()
        began = time.perf_counter()
        postmortem.draft(console, incident)
        warm.append(time.perf_counter() - began)
        console.close()
    console = build_console(str(store))
    view = console.view(incident)
    view.events  # noqa: B018 - read now (a view restored from its snapshot reads them on first use)
    source = postmortem.template(console, "default").body
    facts_s, render_s = [], []
    for _ in range(runs):
        began = time.perf_counter()
        variables = facts(view, now=console.now(), zone=console.zone, author="bench")
        facts_s.append(time.perf_counter() - began)
        began = time.perf_counter()
        render_sections(source, variables)
        render_s.append(time.perf_counter() - began)
    began = time.perf_counter()
    postmortem.start(console, incident)
    start_s = time.perf_counter() - began
    doc = postmortem.document_of(console, incident)
    from commander.ui.postmortem.pdf import pdf_bytes

    began = time.perf_counter()
    pdf = pdf_bytes(to_html(doc), doc.heading)
    pdf_s = time.perf_counter() - began
    console.close()
    return {
        "cold": cold,
        "warm": warm,
        "opened": opened,
        "drafted": drafted,
        "events": count,
        "facts": facts_s,
        "render": render_s,
        "start": start_s,
        "pdf": pdf_s,
        "pdf_kb": len(pdf) / 1024,
        "timeline_lines": sections["timeline"].count("\n") + 1,
    }


def spawn(args: argparse.Namespace) -> dict[str, Any]:
    folder = tempfile.mkdtemp(prefix="commander-postmortem-")
    command = [
        sys.executable,
        __file__,
        "--child",
        "--folder",
        folder,
        "--events",
        str(args.events),
        "--runs",
        str(args.runs),
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, env=quiet_environment(Path(folder)), timeout=900, check=False, cwd=ROOT
    )
    for line in done.stdout.splitlines():
        if line.startswith(RESULT):
            return json.loads(line[len(RESULT) :])  # type: ignore[no-any-return]
    raise SystemExit(f"The measurement failed:\n{done.stderr}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000, help="events in the incident")
    parser.add_argument("--runs", type=int, default=7, help="fresh consoles drafting it, each timed")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        sys.path.insert(0, str(ROOT))
        print(RESULT, json.dumps(core(args.folder, args.events, args.runs)), flush=True)
        return 0

    m = spawn(args)
    figures = [
        Figure(
            "draft, cold console (view + facts + template)",
            median_ms(m["cold"]),
            "ms",
            target=1000,
            note=f"{m['events']:,} events; open {median_ms(m['opened']):,.0f} ms + draft "
            f"{median_ms(m['drafted']):,.0f} ms; median of {args.runs}",
        ),
        Figure(
            "draft, console with the snapshot",
            median_ms(m["warm"]),
            "ms",
            target=1000,
            note="snapshot + the events the draft reads",
        ),
        Figure(
            "  of which the facts from the log",
            median_ms(m["facts"]),
            "ms",
            note=f"events already read; the timeline section has {m['timeline_lines']:,} lines",
        ),
        Figure("  of which the template (sandboxed Jinja2)", median_ms(m["render"]), "ms"),
        Figure("start: draft + record (postmortem.start)", float(m["start"]) * 1000, "ms", target=1000),
        Figure("PDF export (QTextDocument + QPdfWriter)", float(m["pdf"]) * 1000, "ms", note=f"{m['pdf_kb']:,.0f} KB"),
    ]
    print_table(f"Postmortem: drafting an incident with {args.events:,} events", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
