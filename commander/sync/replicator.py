"""The replicator: pushes the outbox, pulls what others wrote, and keeps trying when the store is gone.

It runs on its own thread with its own connections. Every pulled row is checked first (see
commander/domain/core/trust.py): one that fails is set aside in the local quarantine with the reason, and
the rows after it go on. Checked events go into the local store as they are, with the cursor, in one
transaction; the console then picks them up through `Console.catch_up`, the same path as events written
by any other process, so every view updates and the projections stay right. `on_pulled` tells the
owner (the window's bridge, or `commander sync`) that there is something to catch up on.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from commander.domain.core.clock import MAX_AHEAD_MS, HybridClock, to_ms
from commander.domain.core.events import Event
from commander.store.database import Database, StoreError, StoreUnreachable
from commander.store.errors import StoreBusy
from commander.store.quarantine import Quarantine, Refusal, parse
from commander.store.repository import EventLog, Outbox, Settings
from commander.sync import join
from commander.sync.shared import SharedStore

log = logging.getLogger(__name__)

PUSH_BATCH = 500
PULL_BATCH = 2_000
PRESENCE_SECONDS = 5.0
PRESENCE_WINDOW_MS = 20_000
BACKOFF = (0.5, 1, 2, 4, 8, 15, 30)
ERROR_RETRY = 30.0
# Under load, one round for many wake-ups: when the last round moved events (a burst is under way), the
# next one starts at least this long after it, so the NOTIFYs and local writes meanwhile share one pull,
# one push and one local transaction. A lone event after a quiet spell goes at once.
BURST_GAP = 0.03


@dataclass(frozen=True)
class SyncStatus:
    state: str  # "online", "syncing", "offline", "busy", "error"
    waiting: int  # local events the shared store has not acknowledged
    last_success: datetime | None
    message: str = ""  # for offline/busy/error: what happened and what to do
    others: tuple[tuple[str, str | None], ...] = ()  # (person, incident id) of other consoles present
    retry_in: float = 0.0
    set_aside: int = 0  # rows from the shared store in the local quarantine
    notice: str = ""  # something odd seen in the store (a jump in its numbering), in words
    history: str = ""  # "history: 38% fetched" while a joining console brings in the older log


@dataclass(frozen=True)
class RoundResult:
    pushed: int = 0
    pulled: int = 0
    more: bool = False  # a batch limit was hit: run another round at once


@dataclass
class Replicator:
    local: Database
    shared: SharedStore
    console_id: str
    user_name: str
    on_pulled: Callable[[int], None] = lambda count: None
    on_status: Callable[[SyncStatus], None] = lambda status: None
    poll_seconds: float = 2.0
    incident_id: str | None = None  # the incident this console shows, for presence
    clock: HybridClock | None = None  # the console's clock: pulled stamps past its limit are set aside
    max_ahead_ms: int = MAX_AHEAD_MS
    set_aside: int = 0
    notice: str = ""
    burst_gap: float = BURST_GAP
    rounds: int = 0  # rounds run so far (a figure for benchmarks and tests)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _busy_until: float = 0.0  # monotonic time before which a new round waits: a burst is under way
    last_success: datetime | None = None
    status: SyncStatus | None = None
    history: str = ""  # commander/sync/join.py keeps it

    def __post_init__(self) -> None:
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self.shared.poll_seconds = self.poll_seconds  # where LISTEN does not pass, the store polls this often

    @property
    def cursor_key(self) -> str:
        return "sync_cursor:" + self.shared.display_url

    # -- one round ---------------------------------------------------------------------------------

    def run_once(self) -> RoundResult:
        pushed = self._push()
        joined, more_join = join.step(self)  # a first join: what the window needs first, then history
        pulled, more_pull = self._pull()
        pulled, more_pull = pulled + joined, more_pull or more_join
        self.last_success = datetime.now(UTC)
        self.rounds += 1
        return RoundResult(pushed=pushed, pulled=pulled, more=more_pull or pushed == PUSH_BATCH)

    def waiting(self) -> int:
        with self.local.read() as conn:
            return Outbox(conn).count()

    def _push(self) -> int:
        with self.local.read() as conn:
            batch = Outbox(conn).batch(PUSH_BATCH)
        if not batch:
            return 0
        self.shared.push(batch)
        login = self.shared.login()
        # Only now, after the shared store committed: a crash before this line pushes again, harmlessly
        # (the shared store skips ids it has). The local copies learn the login the store recorded, so
        # every console shows the same author for them.
        with self.local.write() as conn:
            Outbox(conn).acknowledge([e.id for e in batch])
            if login is not None:
                EventLog(conn).set_login([e.id for e in batch], login)
        return len(batch)

    def _pull(self) -> tuple[int, bool]:
        with self.local.read() as conn:
            cursor = int(Settings(conn).get(self.cursor_key) or 0)
        pulled, last = self.shared.pull(cursor, PULL_BATCH)
        clock = self.clock or HybridClock(lambda: to_ms(datetime.now(UTC)), self.max_ahead_ms)
        now_ms = clock.physical()
        limit = clock.limit()
        if last == cursor and not self._held_due(now_ms):
            return 0, False
        good: list[Event] = []
        bad: list[tuple[int, tuple[Any, ...], Refusal]] = []
        for seq, row in pulled:
            found = parse(row, limit_hlc=limit, now_ms=now_ms, max_ahead_ms=self.max_ahead_ms)
            if isinstance(found, Refusal):
                bad.append((seq, row, found))
            else:
                good.append(found)
        with self.local.write() as conn:
            quarantine = Quarantine(conn)
            for source, seq, row in quarantine.due(now_ms):  # held back for their clock, whose time has come
                found = parse(row, limit_hlc=limit, now_ms=now_ms, max_ahead_ms=self.max_ahead_ms)
                if isinstance(found, Event):
                    good.append(found)
                    quarantine.release(source, seq)
            fresh = EventLog(conn).append(good)
            for seq, row, refusal in bad:
                quarantine.add(self.shared.display_url, seq, row, refusal, now_ms)
                log.warning("set aside row %s from the shared store: %s", seq, refusal.reason)
            Settings(conn).put(self.cursor_key, str(last))
            self.set_aside = quarantine.count()
        if fresh:
            self.on_pulled(len(fresh))
        return len(fresh), len(pulled) == PULL_BATCH

    def _held_due(self, now_ms: int) -> bool:
        """Whether a row held back for its clock stamp may be checked again now (cheap: a small table)."""
        if not self.set_aside:
            return False
        with self.local.read() as conn:
            return bool(Quarantine(conn).due(now_ms))

    def check(self) -> None:
        """Before the first round: refuse a store this version cannot use, and look at the cursor."""
        self.shared.check()
        self.check_cursor()

    def check_cursor(self) -> None:
        """A cursor beyond the highest number the store issued means it was moved by rows whose numbers
        were forged (before the store enforced them) or the store was replaced: read it from the start
        again (events already here are skipped by id), and say so."""
        with self.local.read() as conn:
            cursor = int(Settings(conn).get(self.cursor_key) or 0)
            self.set_aside = Quarantine(conn).count()
        latest = self.shared.latest()
        if cursor <= latest:
            return
        self.notice = (
            f"The shared store's numbering jumped: this console had read up to {cursor}, but the "
            f"store has issued only up to {latest}. It is reading the store again from the start."
        )
        log.warning("%s", self.notice)
        with self.local.write() as conn:
            Settings(conn).put(self.cursor_key, "0")

    def heartbeat(self) -> tuple[tuple[str, str | None], ...]:
        now_ms = to_ms(datetime.now(UTC))
        self.shared.heartbeat(self.console_id, self.user_name, self.incident_id, now_ms)
        return tuple(
            (person, incident)
            for console, person, incident in self.shared.present(now_ms - PRESENCE_WINDOW_MS)
            if console != self.console_id
        )

    # -- running ---------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="commander-replicator", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self.nudge()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.shared.close()

    def nudge(self) -> None:
        """Something was written locally: push it now rather than at the next poll. Thread-safe."""
        with contextlib.suppress(BlockingIOError):  # the pipe is full of wake-ups already
            os.write(self._wake_w, b"!")

    def _run(self) -> None:
        failures = 0
        others: tuple[tuple[str, str | None], ...] = ()
        next_heartbeat = 0.0
        checked = False
        while not self._stop.is_set():
            try:
                if not checked:
                    self.check()
                    checked = True
                self._emit("syncing", others)
                result = self.run_once()
                moved = result.pushed + result.pulled
                while result.more and not self._stop.is_set():
                    result = self.run_once()
                    moved += result.pushed + result.pulled
                self._busy_until = time.monotonic() + self.burst_gap if moved else 0.0
                now = time.monotonic()
                if now >= next_heartbeat:
                    others = self.heartbeat()
                    next_heartbeat = now + PRESENCE_SECONDS
                failures = 0
                self._emit("online", others)
            except StoreUnreachable as error:  # the network or the server is down: keep trying, backing off
                checked = False
                delay = BACKOFF[min(failures, len(BACKOFF) - 1)]
                failures += 1
                self._emit("busy" if isinstance(error, StoreBusy) else "offline", others, str(error), retry_in=delay)
                log.info("shared store unavailable (%s); retrying in %.1f s", error, delay)
                self._sleep(delay)
                continue
            except StoreError as error:  # login, TLS, privileges, schema: someone must act; try now and then
                checked = False
                self._emit("error", others, str(error), retry_in=ERROR_RETRY)
                log.warning("replication stopped: %s", error)
                self._sleep(ERROR_RETRY)
                continue
            except Exception as error:  # a bug: log it with its traceback, say so, keep the console alive
                log.exception("replication round failed")
                self._emit(
                    "error",
                    others,
                    f"Replication stopped by an internal error: {error}. See the log; it retries in 30 s.",
                    retry_in=ERROR_RETRY,
                )
                self._sleep(ERROR_RETRY)
                continue
            self._idle()

    def _idle(self) -> None:
        """Wait for news: another console's push (NOTIFY), a local write (nudge), or the poll interval."""
        try:
            self.shared.wait(self.poll_seconds if not self.shared.is_postgres else PRESENCE_SECONDS, self._wake_r)
        except OSError:
            raise
        except Exception as error:  # the LISTEN connection broke: poll until the next round reconnects
            log.info("LISTEN connection lost (%s)", error)
            self.shared.close_listener()
            self._sleep(self.poll_seconds)
        self._coalesce()
        self._drain_wake()

    def _coalesce(self) -> None:
        """During a burst, let the wake-ups that follow this one gather before the next round runs."""
        delay = self._busy_until - time.monotonic()
        if delay > 0:
            self._stop.wait(delay)

    def _sleep(self, seconds: float) -> None:
        select.select([self._wake_r], [], [], seconds)
        self._drain_wake()

    def _drain_wake(self) -> None:
        try:
            while os.read(self._wake_r, 4096):
                pass
        except BlockingIOError:
            pass

    def _emit(
        self, state: str, others: tuple[tuple[str, str | None], ...], message: str = "", retry_in: float = 0.0
    ) -> None:
        try:
            waiting = self.waiting()
        except StoreError:
            waiting = -1
        notice = self.notice or self.shared.notice  # the store's: polling where LISTEN does not pass
        self.status = SyncStatus(
            state, waiting, self.last_success, message, others, retry_in, self.set_aside, notice, self.history
        )
        self.on_status(self.status)
