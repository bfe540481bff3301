"""The console: every use case goes through here. Commands in, events out, listeners told.

One user action is one `perform`: load the incident, decide (domain), stamp the events, append them
and the projection row in one short transaction, then tell every listener what was appended. Events
written by another process into the same store (a `commander note` from a terminal, the replicator)
reach the listeners through `catch_up`, the same path.
"""

from __future__ import annotations

import gc
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Protocol

from commander.domain.core.clock import HybridClock, from_ms, to_ms, unpack
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Actor, Event, EventDraft, incident_stream, stream_entity, validate_payload
from commander.domain.core.ids import new_id, normalise_reference
from commander.domain.core.policy import Policy
from commander.domain.core.when import iso
from commander.domain.incident.state import IncidentState, fold
from commander.domain.timeline.entries import IncidentView, TimeFormat
from commander.store.records import IncidentSummary

if TYPE_CHECKING:  # SQLAlchemy stays out of the start-up path: imported where a write needs it
    from sqlalchemy import Connection

    from commander.app.setup.services import Services
    from commander.integrations.secrets import SecretStore
    from commander.store.database import Database

log = logging.getLogger(__name__)

Listener = Callable[[list[Event]], None]
BEHIND_THE_SCENES = 16
PROJECTED = "projected_rowid"  # meta key: the last rowid of this store's log the projections include
Decision = Callable[[IncidentState], list[EventDraft]]


class Reads(Protocol):
    """What the console reads: LocalReader (stdlib sqlite3) or DatabaseReads (SQLAlchemy)."""

    def summaries(self, *, include_closed: bool = True) -> list[IncidentSummary]: ...
    def by_reference_prefix(self, prefix: str) -> list[IncidentSummary]: ...
    def by_id_prefix(self, prefix: str) -> list[IncidentSummary]: ...
    def stream(self, stream: str) -> list[Event]: ...
    def of_kinds(self, kinds: Sequence[str]) -> list[Event]: ...
    def max_rowid(self) -> int: ...
    def projected_rowid(self) -> int | None: ...


class Snapshots(Protocol):
    """Where long incidents' snapshots are kept (the local file's LocalReader): a compact fold, saved at
    close, so reopening reads the events after it instead of refolding the whole log."""

    def snapshot(self, stream: str) -> str | None: ...
    def count_through(self, stream: str, order: tuple[int, str, str]) -> int: ...
    def stream_after(self, stream: str, order: tuple[int, str, str]) -> list[Event]: ...
    def save_snapshot(self, stream: str, through_hlc: int, event_count: int, data: str) -> None: ...


class NotADecision(Exception):
    """A use case tried to write an incident's events without deciding them against its state: a bug."""


class Console:
    def __init__(
        self,
        database: Database | Callable[[], Database],
        policy: Policy,
        *,
        me: Actor,
        console_id: str,
        clock: HybridClock,
        wall: Callable[[], datetime],
        zone: tzinfo,
        time_format: TimeFormat = iso,
        services: Services,
        reads: Reads | None = None,
        snapshots: Snapshots | None = None,
        where: str | None = None,
        is_sqlite: bool = True,
    ) -> None:
        """`database` may be a factory: then SQLAlchemy is imported only at the first write (or at
        `warm_up`), and `reads` serves everything before that. Without `snapshots`, long incidents are
        folded from their log every time."""
        self._database: Database | None = None
        self._make_database: Callable[[], Database] | None = None
        if callable(database) and not hasattr(database, "engine"):
            self._make_database = database
        else:
            self._database = database  # type: ignore[assignment]
            assert self._database is not None
            is_sqlite = self._database.is_sqlite
            where = where or self._database.where
        self._database_lock = threading.Lock()
        self.services = services
        self.snapshots = snapshots
        self.is_sqlite = is_sqlite
        self.where = where or ""
        if reads is None:
            from commander.store.repository import DatabaseReads

            reads = DatabaseReads(self.database)
        self.reads: Reads = reads
        self.policy = policy
        self.me = me
        self.console_id = console_id
        self.clock = clock
        self.wall = wall
        self.zone = zone
        self.time_format = time_format
        self._listeners: list[Listener] = []
        self._views: dict[str, IncidentView] = {}
        self._unsaved: set[str] = set()  # long incidents whose snapshot is missing or far behind
        # Folds of incidents not open in this console, kept to project later batches cheaply (LRU).
        self._behind_the_scenes: OrderedDict[str, IncidentView] = OrderedDict()
        # Where the projections stand in this store's log: written with them, in the same transaction, so
        # events another process committed (a first sync killed before its catch-up) are projected at the
        # next catch-up rather than skipped. A store without the mark is taken as fully projected.
        self._seen_rowid = 0
        if self.is_sqlite:
            marked = self.reads.projected_rowid()
            self._seen_rowid = self.reads.max_rowid() if marked is None else marked

    @property
    def database(self) -> Database:
        """The SQLAlchemy side of the store, made on first use (writes, migrations, maintenance)."""
        if self._database is None:
            with self._database_lock:
                if self._database is None and self._make_database is not None:
                    self._database = self._make_database()
        assert self._database is not None
        return self._database

    @property
    def secrets(self) -> SecretStore:
        """The one secret store of this process (`services.secrets`, made on first use). Windows and
        dialogs take it from here; nothing else constructs one."""
        return self.services.secrets

    def warm_up(self) -> threading.Thread:
        """Make the writing side ready on a background thread, so the first write does not wait for
        SQLAlchemy's import. Returns the thread (joined by nobody: it ends by itself)."""
        thread = threading.Thread(target=lambda: self.database, name="commander-warm-up", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        self.keep_snapshots()
        if self._database is not None:
            self._database.dispose()
        close = getattr(self.reads, "close", None)
        if close is not None:
            close()

    # -- listening -------------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _tell(self, appended: list[Event]) -> None:
        if appended:
            for listener in list(self._listeners):
                listener(appended)

    # -- reading ---------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.wall()

    def incidents(self, *, include_closed: bool = True) -> list[IncidentSummary]:
        return self.reads.summaries(include_closed=include_closed)

    def resolve(self, reference: str) -> IncidentSummary:
        """Find an incident by its reference, any unambiguous prefix of it, or of its id."""
        wanted = reference.strip()
        if not wanted:
            raise DomainError("No incident reference given. `commander list` shows them.")
        found = self.reads.by_reference_prefix(normalise_reference(wanted))
        if not found and len(wanted) >= 4:
            found = self.reads.by_id_prefix(wanted)
        if not found:
            raise DomainError(f"No incident matches '{reference}'. `commander list --all` shows every incident.")
        exact = [s for s in found if s.reference == normalise_reference(wanted) or s.id == wanted.lower()]
        if len(exact) == 1:
            return exact[0]
        if len(found) > 1:
            names = ", ".join(f"{s.reference} ({s.title[:40]})" for s in found[:5])
            raise DomainError(f"'{reference}' matches {len(found)} incidents: {names}. Type more of the reference.")
        return found[0]

    def view(self, incident_id: str) -> IncidentView:
        """The incident's state and timeline, kept current while the console runs."""
        cached = self._views.get(incident_id) or self._behind_the_scenes.pop(incident_id, None)
        if cached is None:
            with _collector_paused():
                cached = self._restore(incident_id) or self._load(incident_id)
        self._views[incident_id] = cached
        return cached

    def _load(self, incident_id: str) -> IncidentView:
        stream = incident_stream(incident_id)
        view = IncidentView(incident_id, self.policy, self.time_format)
        view.load(self.reads.stream(stream))
        from commander.domain.incident import snapshot  # only long incidents need it; not on the start-up path

        if view.state.event_count >= snapshot.WORTH_IT:
            self._unsaved.add(incident_id)  # kept at close: not now, while someone waits for the window
        return view

    def _restore(self, incident_id: str) -> IncidentView | None:
        """A long incident from its snapshot plus the events after it, when the snapshot still fits."""
        reads, kept = self.reads, self.snapshots
        if kept is None:
            return None
        stream = incident_stream(incident_id)
        saved = kept.snapshot(stream)
        if saved is None:
            return None
        from commander.domain.incident import snapshot

        data = json.loads(saved)
        order = tuple(data["last_order"])
        if kept.count_through(stream, order) != data["event_count"]:
            return None  # an event older than the snapshot arrived since: refold from the log
        view = snapshot.restore(incident_id, data, self.policy, self.time_format, lambda: reads.stream(stream))
        if view is None:
            return None
        newer = kept.stream_after(stream, order)
        view.apply(newer)
        if len(newer) >= snapshot.WORTH_IT:
            self._unsaved.add(incident_id)
        return view

    def _keep_snapshot(self, view: IncidentView) -> None:
        from commander.domain.incident import snapshot

        if self.snapshots is not None:
            data = snapshot.dump(view)
            self.snapshots.save_snapshot(
                incident_stream(view.incident_id),
                view.state.last_order[0],
                view.state.event_count,
                json.dumps(data, ensure_ascii=False, separators=(",", ":")),
            )

    def forget(self, incident_id: str) -> None:
        view = self._views.pop(incident_id, None)
        if incident_id in self._unsaved:
            self._unsaved.discard(incident_id)
            if view is not None:
                self._keep_snapshot(view)

    def keep_snapshots(self) -> None:
        """Save snapshots of the long incidents folded in full since the last save (see `_load`)."""
        for incident_id in list(self._unsaved):
            self.forget(incident_id)

    def state(self, incident_id: str) -> IncidentState:
        return self.view(incident_id).state

    # -- the two ways a use case writes -------------------------------------------------------

    def record(self, drafts: Sequence[EventDraft]) -> list[Event]:
        """Write events a decision made without an incident's current state: settings, runbooks,
        postmortems, and a declaration (which makes its incident). Any other event of an incident is
        refused (NotADecision): it goes through `perform`, decided against the incident's state."""
        declared = {d.stream for d in drafts if d.kind == "incident.declared"}
        for draft in drafts:
            if stream_entity(draft.stream)[0] == "incident" and draft.stream not in declared:
                raise NotADecision(f"{draft.kind} in {draft.stream} must be decided: use Console.perform")
        return self._commit(drafts) if drafts else []

    def perform(self, incident_id: str, decide: Decision) -> list[Event]:
        """Run one decision against the incident's current state and record what it decides. Every use
        case in `commander.app` ends here or in `record`."""
        drafts = decide(self.state(incident_id))
        return self._commit(drafts) if drafts else []

    # -- writing ---------------------------------------------------------------------------------

    def stamp(self, draft: EventDraft) -> Event:
        validate_payload(draft.kind, draft.payload)
        hlc = self.clock.now()
        # Stamped at the store's precision (milliseconds), so the live view equals a fresh read of the log.
        # Never earlier than the clock's wall time: a laptop whose clock is behind one it has heard from
        # still puts its reply after the note it answers on everyone's timeline.
        wall_ms = max(to_ms(self.now()), unpack(hlc)[0])
        now = from_ms(wall_ms)
        occurred = from_ms(to_ms(draft.occurred_at)) if draft.occurred_at else now
        if draft.occurred_at and to_ms(draft.occurred_at) == to_ms(self.now()):
            occurred = now  # "now" as the decision saw it, not a backdate
        return Event(
            id=draft.id or new_id(wall_ms),
            stream=draft.stream,
            kind=draft.kind,
            payload=dict(draft.payload),
            actor=self.me,
            hlc=hlc,
            occurred_at=occurred,
            recorded_at=now,
            origin=self.console_id,
        )

    def _commit(self, drafts: Sequence[EventDraft]) -> list[Event]:
        stamped = [self.stamp(d) for d in drafts]
        ids = {e.id for e in stamped}
        return [e for e in self._write(stamped) if e.id in ids]

    def ingest(self, foreign: Sequence[Event]) -> list[Event]:
        """Take events written elsewhere (an import): same path as local ones, after the same checks as
        events pulled from a shared store (commander/domain/core/trust.py)."""
        from commander.domain.core import trust

        now_ms = to_ms(self.now())
        for event in foreign:
            trust.check(event, limit_hlc=self.clock.limit(), now_ms=now_ms, max_ahead_ms=self.clock.max_ahead_ms)
        return self._write(list(foreign))

    def behind(self) -> bool:
        """True when another process appended events this console has not projected yet."""
        return self.is_sqlite and self.reads.max_rowid() > self._seen_rowid

    def catch_up(self) -> list[Event]:
        """Pick up events another process appended to this store; cheap when there are none."""
        if not self.behind():
            return []
        return self._write([])

    def _write(self, batch: list[Event]) -> list[Event]:
        from commander.store.repository import EventLog, Outbox, Settings

        try:
            with self.database.write() as conn:
                outside = self._read_outside(conn)
                written = EventLog(conn).append(batch)
                # Queued for the shared store, in the same transaction: a crash cannot lose the intent.
                # Events read from outside were queued by whoever wrote them (or came from the store).
                Outbox(conn).add(written)
                appended = outside + written
                if not appended:
                    return []
                for event in appended:  # all from this store, where every row was checked on its way in
                    self.clock.observe(event.hlc, checked=True)
                self._project(conn, appended)
                if self.is_sqlite:
                    self._seen_rowid = EventLog(conn).max_rowid()
                    Settings(conn).put(PROJECTED, str(self._seen_rowid))
        except BaseException:
            self._views.clear()  # a cached view may hold events that were rolled back
            self._behind_the_scenes.clear()
            raise
        self._tell(appended)
        return appended

    def _read_outside(self, conn: Connection) -> list[Event]:
        """Events other processes committed since we last looked (SQLite rowids only grow)."""
        from commander.store.repository import EventLog

        return EventLog(conn).after_rowid(self._seen_rowid) if self.is_sqlite else []

    def _project(self, conn: Connection, appended: list[Event]) -> None:
        from commander.store.repository import EventLog, IncidentList

        touched: dict[str, list[Event]] = {}
        for event in appended:
            kind, entity = stream_entity(event.stream)
            if kind == "incident":
                touched.setdefault(entity, []).append(event)
        repo = IncidentList(conn)
        for incident_id, fresh in touched.items():
            view = self._views.get(incident_id) or self._behind_the_scenes.get(incident_id)
            if view is not None:
                view.apply(fresh)
            else:
                # Not open here: fold it from the log (this transaction already holds `fresh`) and keep
                # the fold for a while, so a busy incident another console writes to is not refolded
                # from scratch on every batch.
                view = IncidentView(incident_id, self.policy, self.time_format)
                view.load(EventLog(conn).stream(incident_stream(incident_id)))
                self._behind_the_scenes[incident_id] = view
                while len(self._behind_the_scenes) > BEHIND_THE_SCENES:
                    self._behind_the_scenes.pop(next(iter(self._behind_the_scenes)))
            if incident_id in self._behind_the_scenes:
                self._behind_the_scenes.move_to_end(incident_id)
            if view.state.declared:
                repo.save(view.state)

    # -- maintenance -----------------------------------------------------------------------------

    def rebuild(self) -> int:
        """Remake every projection from the log. Returns the number of incidents."""
        from commander.store.repository import EventLog, IncidentList

        with self.database.write() as conn:
            log_ = EventLog(conn)
            repo = IncidentList(conn)
            repo.clear()
            streams = log_.streams("incident:")
            for stream in streams:
                state = fold(stream_entity(stream)[1], log_.stream(stream), self.policy)
                if state.declared:
                    repo.save(state)
        self._views.clear()
        self._behind_the_scenes.clear()
        return len(streams)


def utc_now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Loading a long incident makes several objects an event, none in reference cycles; meanwhile
    the cyclic collector would rescan the growing heap again and again (a third of the time to open
    an incident with 50,000 events). It resumes, as it was, once the view is built."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
