"""Running workflows: the engine every console and `commander watch` runs.

The engine hears everything appended to the console (its own events and those pulled from the shared
store), turns what it hears into triggers (`Happened`), fires the rules that match, and runs each firing
rule's actions in order on a worker thread. A rule's run for one trigger is claimed through the shared store
(app/claims.py) under a key made from the rule, its version and the trigger, so however many consoles and
watchers hear the same trigger, one of them runs it; each action attempt is claimed again under its own id
(a retry from the window is the next attempt). The others record, once, that they skipped it and who holds
it. A console that cannot reach its shared store keeps the run and tries again on each `tick()`: by then
another console may have run it, and it is skipped.

Only fresh triggers fire: an event recorded more than FRESH ago (a console joining a store pulls years of
history; a past incident is recorded after the fact) starts nothing. Time-based triggers (`timer`,
`role.unfilled`) are checked on `tick()` for incidents open and declared within the last TIME_HORIZON.

Each outcome is an event on the incident's timeline (domain/workflows/runs.py); what an action does is in
app/automation_actions.py.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from commander.app import automation_actions as actions
from commander.app import claims
from commander.app.console import Console
from commander.domain.alerts.alerts import Alert, from_payload
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, stream_entity
from commander.domain.incident.state import IncidentState
from commander.domain.workflows import kinds as rule_kinds
from commander.domain.workflows import matching
from commander.domain.workflows.kinds import SavedRule
from commander.domain.workflows.matching import Happened
from commander.domain.workflows.runs import DONE, FAILED, SKIPPED, ActionRun, fold_runs, outcome
from commander.store.errors import StoreError

_log = logging.getLogger(__name__)

FRESH = timedelta(minutes=30)  # a trigger recorded longer ago than this starts nothing
TIME_HORIZON = timedelta(days=2)  # timer and role.unfilled rules watch incidents declared this recently
DEFERRED_MAX = 1_000  # runs kept while offline; past this the oldest are dropped, saying so
_TICK = object()


@dataclass
class Job:
    """One rule's run for one trigger."""

    saved: SavedRule
    happened: Happened
    incident_id: str | None  # None: an alert rule, whose `declare` makes the incident
    alert: Alert | None = None

    @property
    def key(self) -> str:
        return "run:" + matching.action_id(self.saved.rule.name, self.saved.version, self.happened.id, 0)

    def describe(self) -> str:
        return f"rule={self.saved.rule.name} trigger={self.happened.event} id={self.happened.id[:36]}"


@dataclass
class Engine:
    """See the module's docstring. `tick()` is called every few seconds by its owner (the window's timer,
    the watcher's loop)."""

    console: Console
    log: Callable[[str], None] = _log.info
    # Held while the engine uses the console: a console is one thread's (its views are cached and kept
    # current in place), so an owner that shares its console with other threads passes the lock they
    # hold; the window gives the engine a console of its own instead (ui/shell/automation.py).
    lock: Any = field(default_factory=threading.RLock)
    poll_seconds: float = 0.5  # idle this long, the engine looks for what other consoles wrote (catch-up)
    # Other periodic work that needs this console and may wait on the network, run on each tick after the
    # rules (the window reads PagerDuty's acknowledgements here): a failure is logged, never raised.
    duties: list[Callable[[Console], None]] = field(default_factory=list)
    _queue: queue.Queue[object] = field(default_factory=queue.Queue)
    _deferred: list[Job] = field(default_factory=list)
    _busy: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None
    _unsubscribe: Callable[[], None] | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._unsubscribe = self.console.subscribe(self._heard)
        self._thread = threading.Thread(target=self._work, name="workflows", daemon=True)
        self._thread.start()

    def tick(self) -> None:
        self._put(_TICK)

    def stop(self, timeout: float = 5.0) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def idle(self) -> bool:
        """Nothing queued, running or deferred (tests wait on it)."""
        with self._lock:
            return self._busy == 0 and not self._deferred

    @property
    def deferred(self) -> int:
        with self._lock:
            return len(self._deferred)

    # -- the worker --------------------------------------------------------------------------------

    def _heard(self, events: list[Event]) -> None:
        """Called on whichever thread wrote or pulled the events: only hands them over."""
        interesting = [event for event in events if event.kind in _TRIGGER_KINDS]
        if interesting:
            self._put(interesting)

    def _put(self, item: object) -> None:
        with self._lock:
            self._busy += 1
        self._queue.put(item)

    def _work(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=self.poll_seconds)
            except queue.Empty:
                self._catch_up()
                continue
            if item is None:
                return
            try:
                with self.lock:
                    if item is _TICK:
                        self._on_tick()
                    else:
                        assert isinstance(item, list)
                        for job in jobs_for(self.console, item):
                            self._run(job)
                        self._keep_channels(item)
            except Exception:  # a bug must not stop the engine: log it and go on with the next item
                _log.exception("workflow engine: unexpected error")
            finally:
                with self._lock:
                    self._busy -= 1

    def _keep_channels(self, events: list[Event]) -> None:
        now = self.console.now()
        for event in events:
            kind, incident_id = stream_entity(event.stream)
            if event.kind in actions.KEEPING_KINDS and kind == "incident" and now - event.recorded_at <= FRESH:
                actions.keep_channels(self.console, actions.EventLike(event.id, event.kind, incident_id), log=self.log)

    def _catch_up(self) -> None:
        """What other consoles and processes wrote to the store: heard through `_heard`."""
        try:
            with self.lock:
                self.console.catch_up()
        except StoreError as problem:
            self.log(f"workflow engine could not read the store: {problem}")

    def _on_tick(self) -> None:
        self._catch_up()
        with self._lock:
            waiting, self._deferred = self._deferred, []
        for job in waiting:
            self._run(job)
        for job in timed_jobs(self.console):
            self._run(job)
        for duty in self.duties:
            try:
                duty(self.console)
            except Exception:  # a duty's bug must not stop the engine
                _log.exception("workflow engine: a periodic duty failed")

    def _run(self, job: Job) -> None:
        try:
            ran = run_job(self.console, job, log=self.log)
        except claims.Offline as offline:
            with self._lock:
                self._deferred.append(job)
                dropped = self._deferred[:-DEFERRED_MAX]
                self._deferred = self._deferred[-DEFERRED_MAX:]
            self.log(f"workflow deferred until the shared store is reachable: {job.describe()} ({offline})")
            for lost in dropped:
                self.log(f"workflow dropped, too many waiting: {lost.describe()}")
            return
        if not ran:
            self.log(f"workflow skipped, run elsewhere: {job.describe()}")


# -- triggers ------------------------------------------------------------------------------------------

_TRIGGER_KINDS = frozenset(
    {"incident.declared", "severity.changed", "status.changed", "alert.ingested", "incident.edited"}
)


def jobs_for(console: Console, events: Sequence[Event]) -> list[Job]:
    """The rule runs that fresh events start: each event's triggers, each trigger's firing rules."""
    now = console.now()
    fresh = [event for event in events if event.kind in _TRIGGER_KINDS and now - event.recorded_at <= FRESH]
    if not fresh:
        return []
    rules = list(rule_kinds.fold_rules(console.reads.stream(rule_kinds.STREAM), console.policy).values())
    if not rules:
        return []
    found: list[Job] = []
    for event in fresh:
        found += _jobs_for_event(console, rules, event)
    return found


def _jobs_for_event(console: Console, rules: list[SavedRule], event: Event) -> list[Job]:
    if event.kind == "alert.ingested":
        try:
            alert = from_payload(event.payload)
        except (KeyError, TypeError, ValueError):
            return []
        if alert.status not in ("firing", "active"):
            return []
        happened = Happened("alert.firing", _alert_trigger(alert), labels=dict(alert.labels))
        return [Job(saved, happened, None, alert) for saved in matching.firing(rules, happened, None, console.policy)]
    kind, incident_id = stream_entity(event.stream)
    if kind != "incident":
        return []
    state = console.state(incident_id)
    if not state.declared:
        return []
    trigger = _incident_trigger(state, event, console)
    if trigger is None:
        return []
    return [Job(saved, trigger, incident_id) for saved in matching.firing(rules, trigger, state, console.policy)]


def _alert_trigger(alert: Alert) -> str:
    """The same alert firing again (Alertmanager repeats it) is the same trigger; firing anew after it
    resolved is another."""
    return f"alert:{alert.source}/{alert.fingerprint}@{alert.starts_at.isoformat()}"


def _incident_trigger(state: IncidentState, event: Event, console: Console) -> Happened | None:
    if event.kind == "incident.declared":
        return Happened("incident.declared", event.id)
    if event.kind == "status.changed":
        return Happened("status.changed", event.id, status=str(event.payload.get("status", "")))
    if event.kind == "severity.changed":
        before, after = (console.policy.find_severity(str(event.payload.get(k, ""))) for k in ("previous", "severity"))
        if before is None or after is None or after.rank >= before.rank:
            return None  # lowered, or unknown: not raised
        return Happened("severity.raised", event.id, previous_severity=before.key)
    return None


def timed_jobs(console: Console) -> list[Job]:
    """`timer` and `role.unfilled` rules due now, for open incidents declared within TIME_HORIZON."""
    rules = [
        saved
        for saved in rule_kinds.fold_rules(console.reads.stream(rule_kinds.STREAM), console.policy).values()
        if saved.rule.when.event in ("timer", "role.unfilled")
    ]
    if not rules:
        return []
    now = console.now()
    found: list[Job] = []
    for summary in console.incidents(include_closed=False):
        state = console.state(summary.id)
        declared_at = state.milestones.get("declared")
        if not state.declared or declared_at is None or now - declared_at > TIME_HORIZON:
            continue
        minutes = int((now - declared_at).total_seconds() // 60)
        for saved in rules:
            when = saved.rule.when
            if when.event == "timer":
                happened = Happened("timer", f"{state.id}/timer", minutes=minutes)
            else:
                happened = Happened(
                    "role.unfilled", f"{state.id}/unfilled/{when.role}", role=when.role or "", minutes=minutes
                )
            if matching.firing([saved], happened, state, console.policy) and not _already(console, saved, happened):
                found.append(Job(saved, happened, state.id))
    return found


def _already(console: Console, saved: SavedRule, happened: Happened) -> bool:
    """A timed rule's run that the incident's log already shows (done, failed or skipped): the run's claim
    is the authority, this only spares a round trip to the shared store on every tick."""
    first = matching.action_id(saved.rule.name, saved.version, happened.id, 1)
    incident_id = happened.id.split("/", 1)[0]
    return _run_of(console, incident_id, first) is not None


# -- a run ---------------------------------------------------------------------------------------------


def run_job(console: Console, job: Job, *, log: Callable[[str], None] = _log.info) -> bool:
    """Claim the run and, when this console wins it, run each action in order and record its outcome.
    Returns False when another console holds the run (then a skip is recorded once for the incident).
    Raises claims.Offline when the shared store cannot be reached: nothing was done."""
    won = claims.claim(console, job.key)
    if not won.won:
        if job.incident_id is not None:
            _record_skip(console, job, won.holder)
        return False
    log(f"workflow run: {job.describe()}")
    incident_id = job.incident_id
    if incident_id is None and console.state(actions.declared_id(job.saved, job.happened)).declared:
        incident_id = actions.declared_id(job.saved, job.happened)  # declared by an earlier pass of this run
    context = actions.Context(console, job.saved, job.happened, incident_id, job.alert, log)
    for position in range(1, len(job.saved.rule.actions) + 1):
        action_id = matching.action_id(job.saved.rule.name, job.saved.version, job.happened.id, position)
        if context.incident_id is not None and _done(console, context.incident_id, action_id):
            continue  # a restart resuming its own run
        _attempt(context, position, action_id, 1)
    return True


def _attempt(context: actions.Context, position: int, action_id: str, attempt: int) -> ActionRun | None:
    action = context.saved.rule.actions[position - 1]
    got = claims.claim(context.console, f"{action_id}#{attempt}")
    if not got.won:
        state, text = SKIPPED, f"attempt {attempt} is held by {got.holder}"
    else:
        state, text = actions.execute(context, position, action)
    context.log(f"workflow action {state}: rule={context.saved.rule.name} action={action.kind} {text}")
    if context.incident_id is None:
        return None  # an alert rule whose declare failed: there is no incident to record on
    draft = outcome(
        context.incident_id,
        state,
        rule=context.saved.rule.name,
        version=context.saved.version,
        action_id=action_id,
        position=position,
        action=action.kind,
        attempt=attempt,
        text=text,
    )
    context.console.perform(context.incident_id, lambda _state: [draft])
    return _run_of(context.console, context.incident_id, action_id)


def _record_skip(console: Console, job: Job, holder: str) -> None:
    first = job.saved.rule.actions[0]
    draft = outcome(
        job.incident_id or "",
        SKIPPED,
        rule=job.saved.rule.name,
        version=job.saved.version,
        action_id=matching.action_id(job.saved.rule.name, job.saved.version, job.happened.id, 1),
        position=1,
        action=first.kind,
        text=f"the rule's run is held by {holder}; this console did nothing",
    )
    try:
        console.perform(job.incident_id or "", lambda _state: [draft])
    except (DomainError, StoreError) as problem:
        _log.warning("could not record a skipped workflow run: %s", problem)


def _done(console: Console, incident_id: str, action_id: str) -> bool:
    found = _run_of(console, incident_id, action_id)
    return found is not None and found.outcome in (DONE, FAILED)


def _run_of(console: Console, incident_id: str, action_id: str) -> ActionRun | None:
    return next((run for run in runs(console, incident_id) if run.action_id == action_id), None)


# -- the window's side ---------------------------------------------------------------------------------


def runs(console: Console, incident_id: str) -> list[ActionRun]:
    """Each workflow action run for the incident, with its latest outcome."""
    return fold_runs(console.view(incident_id).events)


def retry(console: Console, incident_id: str, action_id: str) -> ActionRun:
    """Run a failed action again now, as its next attempt (claimed afresh); returns the new outcome.
    Blocks on the network: call it off the UI thread. Refused when the action did not fail, or when its
    rule changed or was removed since (its actions may no longer be the same)."""
    run = _run_of(console, incident_id, action_id)
    if run is None or run.outcome != FAILED:
        raise DomainError("Only a failed workflow action can be retried; this one did not fail.")
    rules = rule_kinds.fold_rules(console.reads.stream(rule_kinds.STREAM), console.policy)
    saved = rules.get(run.rule.casefold())
    if saved is None or saved.version != run.version:
        raise DomainError(
            f"The workflow rule '{run.rule}' was changed or removed since this action ran, so it cannot be "
            f"retried as it was. Do what it did by hand, or run the rule again from the workflow window."
        )
    state = console.state(incident_id)
    happened = Happened(saved.rule.when.event, incident_id)
    context = actions.Context(console, saved, happened, incident_id, _first_alert(state), _log.info)
    found = _attempt(context, run.position, action_id, run.attempt + 1)
    assert found is not None
    return found


def _first_alert(state: IncidentState) -> Alert | None:
    attached = sorted(state.alerts.values(), key=lambda alert: alert.starts_at)
    if not attached:
        return None
    first = attached[0]
    return Alert(first.fingerprint, first.name, dict(first.labels), {}, first.starts_at, "", "firing", first.source)
