"""What checking payloads against their schemas costs (issue 11, item 2): per event, and on the fold.

Every event is checked on a local write, on every pull from the shared store and before every fold, so
the 50,000-event incident pays for it on each full open. This reads that incident from the seeded store
once, then times `validate_payload` on its notes, `well_formed` over its whole log, and
`IncidentView.load` with the checks and with them switched off (alternating, median of 7).

    .venv/bin/python bench/payloads.py            # needs bench/seed.py's store
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from pathlib import Path

from _common import BIG_TITLE, DEFAULT_STORE, Figure, median_ms, print_table, require_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    from commander.app.bootstrap import build_console
    from commander.domain.core import events
    from commander.domain.incident import state as incident
    from commander.domain.timeline import entries as timeline
    from commander.domain.timeline.entries import IncidentView

    console = build_console(str(require_store(args.store)))
    big = next(s.id for s in console.incidents() if s.title == BIG_TITLE)
    log = list(console.reads.stream(events.incident_stream(big)))
    notes = [e for e in log if e.kind == "note.added"]

    began = time.perf_counter()
    for event in notes:
        events.validate_payload(event.kind, event.payload)
    per_note = (time.perf_counter() - began) / len(notes)
    began = time.perf_counter()
    ill = sum(1 for event in log if not events.well_formed(event))
    per_event = (time.perf_counter() - began) / len(log)

    def load() -> float:
        view = IncidentView(big, console.policy, console.time_format)
        gc.disable()
        began = time.perf_counter()
        view.load(log)
        spent = time.perf_counter() - began
        gc.enable()
        return spent

    checked, unchecked = [], []
    for _ in range(args.runs):
        checked.append(load())
        timeline.well_formed = incident.well_formed = lambda _event: True  # type: ignore[assignment]
        unchecked.append(load())
        timeline.well_formed = incident.well_formed = events.well_formed
    extra = (statistics.median(checked) - statistics.median(unchecked)) / len(log)
    print_table(
        f"Checking the payloads of an incident with {len(log):,} events ({ill} ill-formed)",
        [
            Figure("validate_payload, a note", per_note * 1e6, "µs", 5, f"over its {len(notes):,} notes"),
            Figure("well_formed, any event", per_event * 1e6, "µs", None, "the whole log, every kind"),
            Figure(
                "fold + timeline, checked", median_ms(checked), "ms", 300, f"IncidentView.load, median of {args.runs}"
            ),
            Figure("fold + timeline, unchecked", median_ms(unchecked), "ms", None, "the same, checks switched off"),
            Figure("checks' share of the fold", extra * 1e6, "µs", None, "per event"),
        ],
    )


if __name__ == "__main__":
    main()
