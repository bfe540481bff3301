"""A console joining a shared store: ready first, history after.

A console whose cursor for a shared store is 0 holds nothing from it. Instead of replaying the whole log
in sequence order (minutes on millions of events before the window is useful), the first round takes:

1. what the window needs, whole, by stream: every stream that is not per incident (`settings:*`,
   runbooks, on-call schedules, pagers, roles...), and the full logs of the open incidents (with their
   postmortems). The console is usable when this round ends.
2. the next rounds: the full logs of the incidents declared in the last RECENT_DAYS days, newest first,
   RECENT_A_ROUND incidents a round.
3. then the rest of the log, oldest first, HISTORY_BATCH rows a round, in the background of the normal
   rounds ("history: 38% fetched" in the replicator's status).

Every row goes through the same check and quarantine as a normal pull (commander.store.quarantine.parse,
with the replicator's clock). Which incidents come first changes nothing in what they fold to: a fold
reads only its own stream, in (hlc, origin, id) order, whatever else the console holds.

The cursor stays exact. The first round reads up to `mark`, the highest sequence number visible then (on
PostgreSQL every number up to it is committed: the store's trigger draws them in commit order), and sets
the normal cursor to `mark`: normal pulls carry on above it while this module reads (0, mark] again in
the background. Rows read twice are skipped by id (the event id is the primary key), and a row set aside
is kept once (the quarantine's key is the store and the row's number). The state lives in the local
store's settings (HISTORY_PREFIX + the store's URL), so a console stopped half way resumes.

What the selection reads from the shared store (stream names, which incidents were declared, their
status changes) only orders the work: a forged answer makes a row arrive earlier or later, never makes
it skip the checks, and the background pass reads everything up to `mark` regardless.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import bindparam, text

from commander.domain.core.clock import HybridClock, pack, to_ms
from commander.domain.core.events import Event
from commander.store.database import Database
from commander.store.quarantine import Quarantine, Refusal, parse
from commander.store.records import EVENT_COLUMNS
from commander.store.repository import EventLog, Settings
from commander.sync.shared import SharedStore

log = logging.getLogger(__name__)

HISTORY_PREFIX = "sync_history:"
RECENT_DAYS = 90
HISTORY_BATCH = 5_000  # rows of the older log a round
RECENT_A_ROUND = 50  # recent incidents' streams a round (about 10,000 events at 200 an incident)
STREAMS_A_QUERY = 500  # stream names bound in one IN (...)
APPEND_CHUNK = 2_000  # ids checked in one IN (...) locally (SQLite binds at most 32,766)
# Bounds on what the selection reads from outside (a forged store could name millions): past them, the
# rest arrives with the history, in sequence order, as before.
MAX_STREAMS = 200_000
MAX_OPEN = 1_000
MAX_RECENT = 20_000
PER_INCIDENT = ("incident", "postmortem", "alert")  # families with one stream an incident (or an alert)
OPEN = ("investigating", "identified", "mitigated")
_COLUMNS = ", ".join(EVENT_COLUMNS)
Row = tuple[int, tuple[Any, ...]]


class Replicator(Protocol):
    """What a join uses of commander.sync.replicator.Replicator (which calls `step` every round)."""

    local: Database
    shared: SharedStore
    clock: HybridClock | None
    max_ahead_ms: int
    set_aside: int
    history: str
    status: Any  # SyncStatus | None

    @property
    def on_pulled(self) -> Callable[[int], None]: ...

    @property
    def on_status(self) -> Callable[[Any], None]: ...

    @property
    def cursor_key(self) -> str: ...


def step(replicator: Replicator) -> tuple[int, bool]:
    """One round of the join, before the normal pull: (events new here, whether there is more to do)."""
    key = HISTORY_PREFIX + replicator.shared.display_url
    with replicator.local.read() as conn:
        settings = Settings(conn)
        cursor = int(settings.get(replicator.cursor_key) or 0)
        saved = settings.get(key)
    if saved is None:
        replicator.history = ""
        return (0, False) if cursor else _first(replicator, key)
    try:
        state = json.loads(saved)
        mark, done, recent = int(state["mark"]), int(state["done"]), [str(s) for s in state["recent"]]
    except (ValueError, KeyError, TypeError):  # our own setting, damaged: read the history again from 0
        log.warning("the first-join state %r could not be read; reading the history again", saved[:200])
        mark, done, recent = max(cursor, 0), 0, []
    if recent:  # the incidents of the last RECENT_DAYS days, RECENT_A_ROUND at a time
        now, later = recent[:RECENT_A_ROUND], recent[RECENT_A_ROUND:]
        rows = _by_stream(replicator.shared, now, mark)
        count = _take(replicator, rows, {key: _state(mark, done, later)})
        _report(replicator, mark, done)
        return count, True
    rows = _range(replicator.shared, done, mark, HISTORY_BATCH)
    last = rows[-1][0] if len(rows) == HISTORY_BATCH else mark
    finished = last >= mark
    count = _take(replicator, rows, {key: None if finished else _state(mark, last, [])})
    _report(replicator, mark, mark if finished else last)
    return count, not finished


def progress(done: int, mark: int) -> str:
    """'history: 38% fetched', or '' when the history is all here."""
    if mark <= 0 or done >= mark:
        return ""
    return f"history: {min(99, int(100 * done / mark))}% fetched"


def _first(replicator: Replicator, key: str) -> tuple[int, bool]:
    shared = replicator.shared
    mark = visible_max(shared)
    if mark == 0:
        return 0, False
    ready, recent = plan(shared, mark, datetime.now(UTC))
    rows = _by_stream(shared, ready, mark)
    count = _take(replicator, rows, {replicator.cursor_key: str(mark), key: _state(mark, 0, recent)})
    log.info(
        "joined %s: %d events of %d streams first, %d recent incidents next",
        shared.display_url,
        count,
        len(ready),
        len(recent),
    )
    _report(replicator, mark, 0)
    return count, True


def plan(shared: SharedStore, mark: int, now: datetime) -> tuple[list[str], list[str]]:
    """(the streams the window needs, the recent incidents' streams), in the order to fetch them."""
    streams = distinct_streams(shared)
    early = [s for s in streams if s.partition(":")[0] not in PER_INCIDENT]
    seq = _seq(shared)
    since = pack(to_ms(now - timedelta(days=RECENT_DAYS)), 0)
    with shared.database.read() as conn:
        declared = conn.execute(
            text(f"SELECT stream, hlc FROM events WHERE kind = 'incident.declared' AND {seq} <= :mark"),
            {"mark": mark},
        ).all()
        changes = conn.execute(
            text(f"SELECT stream, hlc, payload FROM events WHERE kind = 'status.changed' AND {seq} <= :mark"),
            {"mark": mark},
        ).all()
    latest: dict[str, tuple[int, str]] = {}
    for stream, hlc, payload in changes:
        status = _status(payload)
        if isinstance(hlc, int) and status and (stream not in latest or hlc > latest[stream][0]):
            latest[stream] = (hlc, status)
    known = set(streams)
    opened = list(dict.fromkeys(str(s) for s, _ in declared if latest.get(s, (0, "investigating"))[1] in OPEN))
    open_set = set(opened)
    newest = sorted(((hlc, str(s)) for s, hlc in declared if isinstance(hlc, int) and hlc >= since), reverse=True)
    recent = list(dict.fromkeys(s for _, s in newest if s not in open_set))
    opened, recent = opened[:MAX_OPEN], recent[:MAX_RECENT]
    ready = early + opened + [p for p in map(_postmortem, opened) if p in known]
    return ready, recent + [p for p in map(_postmortem, recent) if p in known]


def _postmortem(incident_stream: str) -> str:
    return "postmortem:" + incident_stream.partition(":")[2]


def distinct_streams(shared: SharedStore) -> list[str]:
    """Every stream name in the store, by a walk down the (stream, hlc) index: one probe a stream, not a
    scan of the log."""
    with shared.database.read() as conn:
        rows = conn.execute(
            text(
                "WITH RECURSIVE s(stream) AS (SELECT min(stream) FROM events UNION ALL "
                "SELECT (SELECT min(e.stream) FROM events e WHERE e.stream > s.stream) FROM s "
                "WHERE s.stream IS NOT NULL) SELECT stream FROM s WHERE stream IS NOT NULL LIMIT :cap"
            ),
            {"cap": MAX_STREAMS},
        ).all()
    return [str(row[0]) for row in rows]


def visible_max(shared: SharedStore) -> int:
    """The highest sequence number a reader sees now. On PostgreSQL, every smaller number is committed or
    gone for good (the trigger draws numbers under a lock held to commit); one drawn but not yet committed
    is above it, and the normal pull reads it later."""
    with shared.database.read() as conn:
        if shared.is_postgres:
            found = conn.execute(text("SELECT max(seq) FROM events WHERE seq <= commander_issued_seq()")).scalar()
        else:
            found = conn.execute(text("SELECT max(rowid) FROM events")).scalar()
    return int(found or 0)


def _seq(shared: SharedStore) -> str:
    return "seq" if shared.is_postgres else "rowid"


def _by_stream(shared: SharedStore, streams: Sequence[str], mark: int) -> list[Row]:
    seq = _seq(shared)
    query = text(
        f"SELECT {seq}, {_COLUMNS} FROM events WHERE stream IN :streams AND {seq} <= :mark ORDER BY {seq}"
    ).bindparams(bindparam("streams", expanding=True))
    found: list[Row] = []
    with shared.database.read() as conn:
        for start in range(0, len(streams), STREAMS_A_QUERY):
            chunk = list(streams[start : start + STREAMS_A_QUERY])
            rows = conn.execute(query, {"streams": chunk, "mark": mark}).all()
            found.extend((int(row[0]), tuple(row[1:])) for row in rows)
    return found


def _range(shared: SharedStore, after: int, mark: int, limit: int) -> list[Row]:
    seq = _seq(shared)
    with shared.database.read() as conn:
        rows = conn.execute(
            text(
                f"SELECT {seq}, {_COLUMNS} FROM events WHERE {seq} > :after AND {seq} <= :mark "
                f"ORDER BY {seq} LIMIT :limit"
            ),
            {"after": after, "mark": mark, "limit": limit},
        ).all()
    return [(int(row[0]), tuple(row[1:])) for row in rows]


def _take(replicator: Replicator, rows: Sequence[Row], puts: dict[str, str | None]) -> int:
    """Check every row as a normal pull does, store the good ones, set the bad ones aside, and write
    `puts` (None deletes) in the same transaction."""
    clock = replicator.clock or HybridClock(lambda: to_ms(datetime.now(UTC)), replicator.max_ahead_ms)
    now_ms, limit = clock.physical(), clock.limit()
    good: list[Event] = []
    bad: list[tuple[int, tuple[Any, ...], Refusal]] = []
    for seq, row in rows:
        found = parse(row, limit_hlc=limit, now_ms=now_ms, max_ahead_ms=replicator.max_ahead_ms)
        if isinstance(found, Refusal):
            bad.append((seq, row, found))
        else:
            good.append(found)
    fresh = 0
    with replicator.local.write() as conn:
        events = EventLog(conn)
        for start in range(0, len(good), APPEND_CHUNK):
            fresh += len(events.append(good[start : start + APPEND_CHUNK]))
        quarantine = Quarantine(conn)
        for seq, row, refusal in bad:
            quarantine.add(replicator.shared.display_url, seq, row, refusal, now_ms)
            log.warning("set aside row %s from the shared store: %s", seq, refusal.reason)
        settings = Settings(conn)
        for key, value in puts.items():
            if value is None:
                settings.delete(key)
            else:
                settings.put(key, value)
        if bad:
            replicator.set_aside = quarantine.count()
    if fresh:
        replicator.on_pulled(fresh)
    return fresh


def _report(replicator: Replicator, mark: int, done: int) -> None:
    """Keep the words for the status bar, and tell the window now: the rounds of a join run back to back."""
    replicator.history = progress(done, mark)
    if replicator.status is not None:
        replicator.status = replace(replicator.status, history=replicator.history)
        replicator.on_status(replicator.status)


def _state(mark: int, done: int, recent: list[str]) -> str:
    return json.dumps({"mark": mark, "done": done, "recent": recent})


def _status(payload: object) -> str | None:
    if not isinstance(payload, str) or len(payload) > 10_000:
        return None
    try:
        value = json.loads(payload)
    except ValueError:
        return None
    status = value.get("status") if isinstance(value, dict) else None
    return status if isinstance(status, str) else None
