"""Seed a store for the benchmarks: N incidents with M events in all, plus one very long incident.

Every event is decided by the real domain rules (commander.domain.incident.decisions) against the incident's
folded state, so the store is one Commander could have written. Writing goes through EventLog.append
and IncidentList.save in big transactions, which is why it is fast.

    .venv/bin/python bench/seed.py                       # 1,000 incidents, 100,000 events, + 50,000
    .venv/bin/python bench/seed.py --incidents 50 --events 5000 --big 5000 --out /tmp/small.db
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import BIG_TITLE, DEFAULT_STORE

from commander.app.console import PROJECTED
from commander.app.setup.resources import load_policy
from commander.domain.core.clock import HybridClock, to_ms
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Actor, Event, EventDraft, validate_payload
from commander.domain.core.ids import new_id
from commander.domain.core.policy import Policy
from commander.domain.incident import decisions
from commander.domain.incident.state import IncidentFold, IncidentState, Status
from commander.store.database import Database
from commander.store.repository import EventLog, IncidentList, Settings

PEOPLE = [
    "Alex",
    "Sam",
    "Kim",
    "Noor",
    "Priya",
    "Jonas",
    "Mei",
    "Omar",
    "Lena",
    "Tomás",
    "Aiko",
    "Chidi",
    "Fatima",
    "Ola",
    "Ravi",
    "Sofia",
    "Yusuf",
    "Zoë",
    "Bram",
    "Ines",
]
SERVICES = [
    "checkout",
    "payments",
    "search",
    "cart",
    "auth",
    "api-gateway",
    "orders",
    "inventory",
    "email",
    "cdn",
    "postgres-main",
    "kafka",
    "redis-sessions",
    "recommendations",
    "billing",
]
TITLES = [
    "{s} returning 502s",
    "{s} latency p99 over 4 s",
    "Elevated error rate on {s}",
    "{s} unavailable in EU",
    "Queue backlog growing on {s}",
    "Disk full on {s} primary",
    "Certificate expired for {s}",
    "{s} deploy failed half way",
    "Memory leak in {s} workers",
    "Partial outage: {s}",
]
NOTES = [
    "Error rate on {s} at {n}%",
    "Rolled back {s} to v2.{n}",
    "Paged the {s} on-call",
    "Scaling {s} to {n} pods",
    "Customer reports via support: {n} tickets so far",
    "Dashboard: https://grafana.example.com/d/{s}?from=now-1h",
    "Hypothesis: connection pool exhaustion on {s} after the {n}:00 deploy",
    "Failover of {s} started; ETA {n} min",
    "No change after restart of {s}",
    "Status page updated, next update in {n} min",
    "Found it: a config change in {s} dropped the timeout from 30 s to {n} ms.\nReverting now.",
    "Long finding: " + "the {s} consumer lag grows whenever the batch job runs; " * 5 + "({n})",
]
ROLES = ["tl", "comms", "scribe", "sme", "ic"]


class SimulatedConsoles:
    """Consoles writing into one incident: a shared simulated wall clock, one hybrid clock each."""

    def __init__(self, rng: random.Random, start: datetime) -> None:
        self.rng = rng
        self.wall = start
        self.clocks: dict[str, HybridClock] = {}
        self.actors = {name: Actor(f"person-{i:03d}", name) for i, name in enumerate(PEOPLE)}

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)

    def stamp(self, draft: EventDraft, person: str, origin: str) -> Event:
        """What Console.stamp does, at the simulated time."""
        validate_payload(draft.kind, draft.payload)
        clock = self.clocks.get(origin)
        if clock is None:
            clock = self.clocks[origin] = HybridClock(physical=lambda: to_ms(self.wall))
        now_ms = to_ms(self.wall)
        now = self.wall.replace(microsecond=(self.wall.microsecond // 1000) * 1000)
        return Event(
            new_id(now_ms),
            draft.stream,
            draft.kind,
            dict(draft.payload),
            self.actors[person],
            clock.now(),
            draft.occurred_at or now,
            now,
            origin,
        )


class IncidentSimulation:
    """One incident from declaration to (maybe) closing, one decided change at a time."""

    def __init__(self, rng: random.Random, policy: Policy, start: datetime, gap_seconds: float) -> None:
        self.rng = rng
        self.policy = policy
        self.id = new_id(to_ms(start))
        self.fold = IncidentFold(self.id, policy)
        self.consoles = SimulatedConsoles(rng, start)
        self.origins = [new_id(to_ms(start)) for _ in range(rng.randint(1, 5))]
        self.crew = rng.sample(PEOPLE, rng.randint(2, 8))
        self.gap = gap_seconds
        self.events: list[Event] = []
        self.notes: list[str] = []

    @property
    def state(self) -> IncidentState:
        return self.fold.state

    def commit(self, drafts: list[EventDraft], person: str | None = None) -> None:
        person = person or self.rng.choice(self.crew)
        origin = self.rng.choice(self.origins)
        for draft in drafts:
            event = self.consoles.stamp(draft, person, origin)
            self.fold.apply(event)
            self.events.append(event)
            if event.kind == "note.added":
                self.notes.append(event.id)  # a note's id is its event's id

    def attempt(self, decide: Callable[..., list[EventDraft]], *args: Any, **kwargs: Any) -> None:
        """Decide against the incident as it stands now, and record what the rules allow."""
        try:
            drafts = decide(self.state, *args, **kwargs)
        except DomainError:
            return  # the rules refused it, as they would for a person
        if drafts:
            self.commit(drafts)

    def declare(self, title: str, severity: str, services: list[str], drill: bool = False) -> None:
        now = self.consoles.wall
        detected = now - timedelta(minutes=self.rng.randint(0, 20))
        form = decisions.Declaration(
            title=title,
            severity=severity,
            services=tuple(services),
            summary=f"Customers see errors on {services[0]}.",
            detected_at=detected,
            drill=drill,
            commander=self.crew[0],
        )
        drafts = decisions.declare(self.id, form, me=self.crew[0], policy=self.policy, now=now)
        self.commit(drafts, self.crew[0])

    def run(self, total: int, *, end_status: str) -> None:
        """Random changes until `total` events, walking the status chain on the way to `end_status`."""
        chain = ["identified", "mitigated", "resolved", "closed"]
        chain = chain[: chain.index(end_status) + 1] if end_status in chain else []
        fractions = (0.2, 0.5, 0.85, 0.97)
        milestones = {int(total * f): status for f, status in zip(fractions, chain, strict=False)}
        rng, policy = self.rng, self.policy
        while len(self.events) < total:
            self.consoles.advance(rng.expovariate(1 / self.gap))
            now = self.consoles.wall
            due = [n for n in milestones if n <= len(self.events)]
            if due:
                self.attempt(decisions.change_status, milestones.pop(min(due)), now=now)
                continue
            roll = rng.random()
            notes = self.notes
            if roll < 0.74:
                backdated = now - timedelta(minutes=rng.randint(2, 30)) if rng.random() < 0.08 else None
                self.attempt(decisions.add_note, self._note_text(), now=now, at=backdated, pinned=rng.random() < 0.03)
            elif roll < 0.80:
                self.attempt(decisions.assign_role, rng.choice(ROLES), rng.choice([*self.crew, None]), policy=policy)
            elif roll < 0.84 and notes:
                self.attempt(decisions.edit_note, rng.choice(notes), self._note_text() + " (corrected)")
            elif roll < 0.88:
                self.attempt(decisions.pin, rng.choice(self.events).id, rng.random() < 0.8)
            elif roll < 0.90 and notes:
                note = rng.choice(notes)
                undo = self.state.notes[note].deleted
                self.attempt(decisions.restore_note if undo else decisions.delete_note, note)
            elif roll < 0.93:
                self.attempt(
                    decisions.change_severity,
                    rng.choice(policy.severities).key,
                    reason="impact reassessed",
                    policy=policy,
                )
            elif roll < 0.95:
                self.attempt(decisions.edit_details, services=rng.sample(SERVICES, rng.randint(1, 3)))
            elif roll < 0.96:
                self.attempt(decisions.add_role, rng.choice(["Customer Liaison", "Vendor Contact", "Database Expert"]))
            else:
                self.attempt(decisions.add_note, self._note_text(), now=now)
        for status in chain:  # a short incident may not have got there yet: only forward
            if Status(status).rank > self.state.status.rank:
                self.consoles.advance(60)
                self.attempt(decisions.change_status, status, now=self.consoles.wall)

    def _note_text(self) -> str:
        return self.rng.choice(NOTES).format(s=self.rng.choice(SERVICES), n=self.rng.randint(1, 99))


def sizes(rng: random.Random, incidents: int, events: int) -> list[int]:
    """Events per incident: most are short, a few are long, the total is exactly `events`."""
    weights = [rng.lognormvariate(0, 0.9) for _ in range(incidents)]
    scale = events / sum(weights)
    counts = [max(6, round(w * scale)) for w in weights]
    drift = events - sum(counts)
    i = 0
    while drift:
        step = 1 if drift > 0 else -1
        if counts[i % incidents] + step >= 6:
            counts[i % incidents] += step
            drift -= step
        i += 1
    return counts


def write(database: Database, simulations: list[IncidentSimulation], *, chunk: int = 2_000) -> None:
    batch: list[Event] = [e for sim in simulations for e in sim.events]
    with database.write() as conn:
        log = EventLog(conn)
        for start in range(0, len(batch), chunk):  # the id check is one IN (...) per chunk
            log.append(batch[start : start + chunk])
        projection = IncidentList(conn)
        for sim in simulations:
            projection.save(sim.state)
        # The projections above cover the whole log: mark it, as a console does when it projects, or the
        # first console to open the store would project all of it again (Console: PROJECTED).
        Settings(conn).put(PROJECTED, str(log.max_rowid()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=1_000)
    parser.add_argument("--events", type=int, default=100_000, help="events across the N incidents")
    parser.add_argument("--big", type=int, default=50_000, help="events in the one long incident (0: none)")
    parser.add_argument("--out", type=Path, default=DEFAULT_STORE)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    if args.incidents < 1 or args.events < 6 * args.incidents:
        parser.error("give at least one incident and six events per incident")

    out: Path = args.out
    for suffix in ("", "-wal", "-shm"):
        Path(f"{out}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    rng = random.Random(args.seed)
    policy = load_policy()
    database = Database(f"sqlite:///{out}")
    database.open()

    now = datetime.now(UTC).replace(microsecond=0)
    first = now - timedelta(days=730)
    counts = sizes(rng, args.incidents, args.events)
    open_from = args.incidents - max(1, args.incidents // 200)  # the newest 0.5% are still open
    written = big_count = 0
    pending: list[IncidentSimulation] = []
    for number, count in enumerate(counts):
        start = first + timedelta(days=730 * number / args.incidents, minutes=rng.randint(0, 600))
        sim = IncidentSimulation(rng, policy, start, gap_seconds=rng.uniform(20, 240))
        services = rng.sample(SERVICES, rng.randint(1, 3))
        severity = rng.choices(["SEV1", "SEV2", "SEV3", "SEV4"], weights=[1, 3, 5, 2])[0]
        if number >= open_from and severity == "SEV1":
            severity = "SEV2"  # the long incident below is the one open SEV1: the window opens on it
        sim.declare(rng.choice(TITLES).format(s=services[0]), severity, services, drill=rng.random() < 0.03)
        end = rng.choice(["identified", "mitigated"]) if number >= open_from else "closed"
        sim.run(count, end_status=end)
        if number >= open_from and sim.state.severity == "SEV1":  # raised on the way: lower it again
            sim.consoles.advance(60)
            sim.attempt(decisions.change_severity, "SEV2", reason="contained", policy=policy)
        pending.append(sim)
        written += len(sim.events)
        if sum(len(s.events) for s in pending) >= 20_000:
            write(database, pending)
            pending = []
    if args.big:
        big = IncidentSimulation(rng, policy, now - timedelta(days=3), gap_seconds=259_200 / args.big)
        big.crew = PEOPLE[:12]
        big.declare(BIG_TITLE, "SEV1", ["payments", "checkout", "kafka"])
        big.run(args.big, end_status="mitigated")
        if big.state.severity != "SEV1":  # lowered on the way: it is the one open SEV1
            big.attempt(decisions.change_severity, "SEV1", reason="customer impact again", policy=policy)
        pending.append(big)
        big_count = len(big.events)
        written += big_count
    write(database, pending)
    database.dispose()

    elapsed = time.perf_counter() - started
    size_mb = out.stat().st_size / 1e6
    print(
        f"Seeded {out}: {args.incidents + (1 if args.big else 0):,} incidents, {written:,} events "
        f"({big_count:,} in the long incident), {size_mb:,.0f} MB, in {elapsed:,.1f} s "
        f"({written / elapsed:,.0f} events/s)."
    )
    if elapsed > 60:
        print("MISS: seeding should take under a minute.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
