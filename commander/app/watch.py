"""`commander watch`: what the window does without being asked, run with no window, for a team's always-on
host. Until stopped it runs:

- the replicator, when a shared store is configured (app/setup/remote.py), as the window's SyncBridge does;
- the workflow engine (app/automation.py): started, ticked every few seconds, stopped;
- the duties the window's timers carry out for the incident on screen, here for every open incident: the
  stakeholder update's overdue mark and expired timers (app/updates/timers.py, each written once across
  every console: the events' ids come from what they are about), escalations that fell due and pages this
  console was stopped while sending (app/paging.py), the requests made on a thread of their own;
- chat listening (app/chat.py `ChatFeed`) and PagerDuty acknowledgement polling
  (app/paging.py `poll_acknowledgements`), when this Commander has them;
- the HTTP side (integrations/inbound.py): Alertmanager's webhook stored through `alerts.ingest` (the
  engine fires alert rules from the `alert.ingested` events), and `/healthz`.

The console is one object shared by these threads (the HTTP workers, the loop, the page senders, chat's
worker), so every use of it here holds `lock`, and ChatFeed records holding it too. The engine's worker does
not take it yet (it is given the lock once `Engine` accepts one). One line of log per thing that happened;
never a secret (no token, no payload).
"""

from __future__ import annotations

import importlib
import inspect
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from commander.app import alerts, paging
from commander.app.automation import Engine
from commander.app.console import Console
from commander.app.updates import timers
from commander.domain.core.events import Event
from commander.domain.paging import pages as domain_paging
from commander.integrations import inbound

if TYPE_CHECKING:
    from commander.sync.replicator import SyncStatus

DEFAULT_LISTEN = ("127.0.0.1", 9095)
TICK_SECONDS = 2.0  # the engine's tick and the duties: escalation delays and timers are minutes long
CATCH_UP_SECONDS = 1.0  # other processes' writes (a `commander note`, the replicator's pulls), as the window
ACK_POLL_SECONDS = 30.0  # PagerDuty's REST API: well inside its rate limit, soon enough to stop an escalation
POLL_TIMEOUT = 5.0  # seconds per PagerDuty read while the console is held
JOIN_SECONDS = 5.0
HEALTH_WAIT_SECONDS = 3.0  # /healthz waits this long for the console before saying it is stuck

_log = logging.getLogger("commander.watch")


class Watcher:
    """Runs everything above until `stop()`. `start()` raises OSError when the address cannot be taken."""

    def __init__(
        self,
        console: Console,
        *,
        listen: tuple[str, int] = DEFAULT_LISTEN,
        token: str | None = None,
        log: logging.Logger = _log,
        tick_seconds: float = TICK_SECONDS,
        ack_poll_seconds: float = ACK_POLL_SECONDS,
    ) -> None:
        self.console = console
        self.listen = listen
        self.token = token or None
        self.log = log
        self.tick_seconds = tick_seconds
        self.ack_poll_seconds = ack_poll_seconds
        self.lock = threading.RLock()
        self.server: inbound.Server | None = None
        self.engine: Engine | None = None
        self._engine_console: Console | None = None
        self.chat: Any = None
        self.replicator: Any = None
        self.last_event: datetime | None = None
        self.sync_state: str | None = None
        self._sync_said = ""
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._loop: threading.Thread | None = None
        self._senders: set[threading.Thread] = set()
        self._in_flight: set[str] = set()  # pages whose requests are under way
        self._unsubscribe: Callable[[], None] | None = None

    @property
    def address(self) -> tuple[str, int]:
        """Where it listens, with the port chosen when 0 was asked."""
        return self.server.listening[0] if self.server is not None else self.listen

    # -- starting and stopping -----------------------------------------------------------------------

    def start(self) -> None:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        self._unsubscribe = self.console.subscribe(self._appended)
        app = inbound.make_app(receive=self._receive, health=self.health, token=self.token, log=self.log)
        self.server = inbound.serve(self.listen[0], self.listen[1], app)
        host, port = self.address
        self.log.info(
            "listening address=%s port=%d auth=%s store=%s",
            host,
            port,
            "bearer" if self.token else "loopback-only",
            self.console.where or "?",
        )
        self._start_replicator()
        # The engine's worker writes to the same console: it takes our lock once it accepts one, as ChatFeed does.
        shared: dict[str, Any] = {"lock": self.lock} if "lock" in inspect.signature(Engine).parameters else {}
        self.engine = Engine(self.console, log=self.log.info, **shared)
        self.engine.start()
        self._start_chat()
        self._loop = threading.Thread(target=self._run, name="commander-watch", daemon=True)
        self._loop.start()

    def run_until(self, stop: threading.Event) -> None:
        """Start, wait for `stop` (a signal handler sets it), then stop everything."""
        self.start()
        try:
            stop.wait()
        finally:
            self.stop()

    def stop(self, timeout: float = JOIN_SECONDS) -> None:
        """Stop taking webhooks, then the loop, the engine, chat and the replicator; each is joined."""
        self._stop.set()
        self._wake.set()
        if self.server is not None:
            self.server.close(timeout)
        if self._loop is not None:
            self._loop.join(timeout)
        for name, part in (("engine", self.engine), ("chat", self.chat), ("replicator", self.replicator)):
            if part is not None:
                try:
                    part.stop()
                except Exception:
                    self.log.exception("stopping failed part=%s", name)
        deadline = time.monotonic() + timeout  # a page's retries may take a minute: not waited for that long
        for sender in list(self._senders):
            sender.join(max(0.0, deadline - time.monotonic()))
        if self._senders:
            self.log.warning(
                "stopped while paging pages=%d (the next start resumes them: see paging.resume_stuck)",
                len(self._in_flight),
            )
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self.server is not None or self.engine is not None:
            self.log.info("stopped")
        if self._engine_console is not None:
            self._engine_console.close()
            self._engine_console = None
        self.server = self.engine = self.chat = self.replicator = None

    def _start_replicator(self) -> None:
        from commander.app.setup import remote as remotes

        remote = remotes.configured(self.console)
        if remote is None:
            self.log.info("no shared store: this store only")
            return
        self.replicator = remotes.replicator(
            self.console, remote, self.console.secrets, on_pulled=self._pulled, on_status=self._sync_status
        )
        self.replicator.start()
        self.log.info("replicating shared=%s", remote.url)  # the URL is kept without its password

    def _start_chat(self) -> None:
        try:
            chat = importlib.import_module("commander.app.chat")
        except ModuleNotFoundError as error:
            if error.name != "commander.app.chat":
                self.log.warning("chat not listened to reason=%s", error)
            return
        feed = getattr(chat, "ChatFeed", None)
        if feed is None:
            return
        self.chat = feed(self.console, log=self.log.info, lock=self.lock)  # it records holding our lock
        self.chat.start()
        self.log.info("listening to chat")

    # -- what arrives ----------------------------------------------------------------------------------

    def _receive(self, text: str, caller: str) -> str:
        with self.lock:
            got = alerts.ingest(self.console, text)
        self.log.info("alerts received firing=%d resolved=%d caller=%s", got.firing, got.resolved, caller)
        self._wake.set()
        return f"{got.firing} firing, {got.resolved} resolved"

    def _appended(self, events: list[Event]) -> None:
        """Every event this console wrote or took in: one line each, and the replicator nudged for ours."""
        for event in events:
            self.log.info("event kind=%s stream=%s id=%s by=%s", event.kind, event.stream, event.id, event.actor.name)
        self.last_event = max(e.recorded_at for e in events)
        if self.replicator is not None and any(e.origin == self.console.console_id for e in events):
            self.replicator.nudge()

    def _pulled(self, count: int) -> None:
        self._wake.set()  # catch up now rather than at the next second

    def _sync_status(self, status: SyncStatus) -> None:
        said = f"{status.state}:{status.message}"
        self.sync_state = status.state
        if said != self._sync_said:
            self._sync_said = said
            level = logging.WARNING if status.state in ("offline", "error", "busy") else logging.INFO
            detail = " ".join(status.message.split())
            self.log.log(level, "shared store state=%s waiting=%d%s", status.state, status.waiting,
                         f" reason={detail}" if detail else "")  # fmt: skip

    def health(self) -> inbound.Health:
        details: dict[str, object] = {
            "last_event": self.last_event.isoformat() if self.last_event else None,
            "engine_idle": self.engine.idle() if self.engine is not None else None,
        }
        if self.sync_state is not None:
            details["shared_store"] = self.sync_state
        if not self.lock.acquire(timeout=HEALTH_WAIT_SECONDS):
            return inbound.Health(False, {"store": "busy", **details})
        try:
            open_now = len(self.console.reads.summaries(include_closed=False))
        except Exception as error:
            self.log.warning("store unusable reason=%s", " ".join(str(error).split()))
            return inbound.Health(False, {"store": "unusable", **details})
        finally:
            self.lock.release()
        return inbound.Health(True, {"store": "reachable", "open_incidents": open_now, **details})

    # -- the loop ------------------------------------------------------------------------------------------

    def _run(self) -> None:
        next_tick = next_poll = time.monotonic()
        while not self._stop.is_set():
            self._wake.wait(min(CATCH_UP_SECONDS, self.tick_seconds, self.ack_poll_seconds))
            self._wake.clear()
            if self._stop.is_set():
                break
            with self._guard("catching up"), self.lock:
                self.console.catch_up()
            now = time.monotonic()
            if now >= next_tick:
                next_tick = now + self.tick_seconds
                self._tick()
            if now >= next_poll:
                next_poll = now + self.ack_poll_seconds
                self._poll_acknowledgements()

    def _tick(self) -> None:
        if self.engine is not None:
            with self._guard("the workflow engine's tick"), self.lock:
                self.engine.tick()
        with self._guard("reading the open incidents"), self.lock:
            open_now = self.console.incidents(include_closed=False)
        for summary in open_now:
            if self._stop.is_set():
                return
            with self._guard(f"the duties of {summary.reference}"), self.lock:
                self._duties(summary.id)

    def _duties(self, incident_id: str) -> None:
        """What the window's header, timer strip and paging runner do each second for the incident on screen."""
        console = self.console
        timers.note_overdue(console, incident_id)  # each writes nothing when nothing is due
        timers.note_expired_timers(console, incident_id)
        state, now = console.state(incident_id), console.now()
        if [p for p in domain_paging.stuck(state.paging, console.console_id, now) if p.id not in self._in_flight]:
            self._send(paging.resume_stuck(console, incident_id, console.secrets, sending=self._in_flight), "again")
        if domain_paging.due_runs(state, now):
            self._send(paging.escalate_due(console, incident_id, console.secrets), "escalated")

    def _send(self, dispatch: paging.Dispatch, why: str) -> None:
        if not dispatch:
            return
        pages = {job.page for job in dispatch.jobs}
        self._in_flight |= pages
        self.log.info("paging incident=%s pages=%d why=%s", dispatch.incident_id, len(pages), why)
        sender = threading.Thread(target=self._deliver, args=(dispatch,), name="commander-watch-page", daemon=True)
        self._senders.add(sender)
        sender.start()

    def _deliver(self, dispatch: paging.Dispatch) -> None:
        """On a thread of its own: the requests without the lock, their outcomes with it."""
        try:
            outcomes = paging.deliver(dispatch)
            with self.lock:
                paging.finish(self.console, dispatch, outcomes)
            for job, outcome in zip(dispatch.jobs, outcomes, strict=True):
                level = logging.INFO if outcome.state == "delivered" else logging.WARNING
                self.log.log(level, "page %s page=%s pager=%s", outcome.state, job.page, job.pager)
            self._in_flight -= {job.page for job in dispatch.jobs}
        except Exception:  # left in flight: not tried again every tick; resumed at the next start
            self.log.exception("paging failed incident=%s", dispatch.incident_id)
        finally:
            self._senders.discard(threading.current_thread())

    def _poll_acknowledgements(self) -> None:
        poll = getattr(paging, "poll_acknowledgements", None)  # added beside this (issue 14, item 8)
        if poll is None:
            return
        problems: dict[str, str] = {}
        # It reads and writes the console around its requests, so it holds the lock throughout: a webhook
        # arriving meanwhile waits (at most the read's timeout; the reads run a few at a time).
        with self._guard("reading PagerDuty's acknowledgements"), self.lock:
            recorded = poll(self.console, problems=problems, timeout=POLL_TIMEOUT)
            if recorded:
                self.log.info("acknowledged in PagerDuty pages=%d", recorded)
        for page, why in sorted(problems.items())[:5]:  # the same reasons come back every 30 s: a few suffice
            self.log.warning("page not read back page=%s reason=%s", page, " ".join(why.split()))

    @contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        """One failure is logged with its traceback and the loop goes on: one bad incident stops nothing."""
        try:
            yield
        except Exception:
            self.log.exception("failed while %s", doing)
