"""A workflow action's runs, on the incident's timeline: each attempt's outcome is one event in the
incident's stream, its id derived from the action's id and the attempt, so two consoles that record the
same outcome make one event.

- `workflow.action_done`: it ran; `summary` says what it made ("#inc-12-checkout", a bridge link).
- `workflow.action_failed`: it ran and the service refused or failed; `reason` is the service's, in words.
  A person may retry it from the window: the retry is the next attempt, claimed afresh.
- `workflow.action_skipped`: this console did not run it: another console or watcher holds its claim
  (`reason` names it), or what it needs is missing (no channel to post in).

`fold_runs` reads them back into one `ActionRun` per action: its latest attempt's outcome.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from commander.domain.core.events import Event, EventDraft, incident_stream, well_formed
from commander.domain.core.kinds import NOT_FOLDED, EventKind, Shown, register
from commander.domain.core.schema import a_line, a_name, a_text, record, whole
from commander.domain.timeline.context import Context

_OUTCOMES = uuid.UUID("0c7b9a52-54a5-4a4d-8f2e-3d6b1f0e9c41")
ATTEMPTS_MAX = 1_000
DONE, FAILED, SKIPPED = "done", "failed", "skipped"
_KIND_OF = {"workflow.action_done": DONE, "workflow.action_failed": FAILED, "workflow.action_skipped": SKIPPED}

_RUN = {
    "rule": a_name,
    "version": whole(1, 1_000_000_000),
    "action_id": a_line,
    "position": whole(1, 100),
    "action": a_line,
    "attempt": whole(1, ATTEMPTS_MAX),
}


@dataclass(frozen=True)
class ActionRun:
    """An action as it stands: its latest attempt and that attempt's outcome."""

    action_id: str
    rule: str
    version: int
    position: int
    action: str
    outcome: str  # DONE, FAILED, SKIPPED
    attempt: int
    text: str  # the summary (done) or the reason (failed, skipped)
    at: datetime
    by: str  # the actor's name that recorded it

    @property
    def retryable(self) -> bool:
        return self.outcome == FAILED


def outcome(
    incident_id: str,
    state: str,
    *,
    rule: str,
    version: int,
    action_id: str,
    position: int,
    action: str,
    attempt: int = 1,
    text: str = "",
) -> EventDraft:
    """The event for one attempt's outcome; `state` is DONE, FAILED or SKIPPED."""
    base = {
        "rule": rule,
        "version": version,
        "action_id": action_id,
        "position": position,
        "action": action,
        "attempt": min(attempt, ATTEMPTS_MAX),
    }
    stream, said = incident_stream(incident_id), text[:2_000]
    if state == DONE:
        return EventDraft(
            stream, "workflow.action_done", {**base, "summary": said}, id=_id(action_id, f"done#{attempt}")
        )
    if state == FAILED:
        return EventDraft(
            stream, "workflow.action_failed", {**base, "reason": said}, id=_id(action_id, f"failed#{attempt}")
        )
    return EventDraft(stream, "workflow.action_skipped", {**base, "reason": said}, id=_id(action_id, SKIPPED))


def _id(action_id: str, key: str) -> str:
    return str(uuid.uuid5(_OUTCOMES, f"{action_id}/{key}"))


def fold_runs(events: Iterable[Event]) -> list[ActionRun]:
    """One run per action, its latest attempt (a done or failed attempt outranks a skip of the same), in
    the order the actions first ran."""
    found: dict[str, ActionRun] = {}
    first: dict[str, int] = {}
    outcomes = [event for event in events if event.kind in _KIND_OF and well_formed(event)]
    for event in sorted(outcomes, key=lambda e: e.order):
        state = _KIND_OF[event.kind]
        p = event.payload
        run = ActionRun(
            p["action_id"],
            p["rule"],
            p["version"],
            p["position"],
            p["action"],
            state,
            p["attempt"],
            p.get("summary") or p.get("reason") or "",
            event.occurred_at,
            event.actor.name,
        )
        current = found.get(run.action_id)
        first.setdefault(run.action_id, len(first))
        if current is None or _rank(run) >= _rank(current):
            found[run.action_id] = run
    return sorted(found.values(), key=lambda run: first[run.action_id])


def _rank(run: ActionRun) -> tuple[int, int]:
    return (run.attempt, 0 if run.outcome == SKIPPED else 1)


# -- the timeline's words ----------------------------------------------------------------------------


def _describe(event: Event, context: Context) -> str:
    p = event.payload
    state = _KIND_OF[event.kind]
    said = p.get("summary") or p.get("reason") or ""
    again = f" (attempt {p['attempt']})" if p["attempt"] > 1 else ""
    words = {DONE: "done", FAILED: "failed", SKIPPED: "skipped"}[state]
    return f"Workflow {p['rule']}: {p['action']} {words}{again}" + (f": {said}" if said else "")


KINDS = register(
    EventKind("workflow.action_done", record({**_RUN, "summary": a_text}), NOT_FOLDED, Shown("workflow", _describe)),
    EventKind("workflow.action_failed", record({**_RUN, "reason": a_text}), NOT_FOLDED, Shown("workflow", _describe)),
    EventKind("workflow.action_skipped", record({**_RUN, "reason": a_text}), NOT_FOLDED, Shown("workflow", _describe)),
)
