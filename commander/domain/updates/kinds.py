"""The stakeholder-update event kinds: updates sent, snoozed, overdue and published, and custom timers, in the
incident's stream; update destinations ("settings:destinations") and team templates ("settings:templates")."""

from __future__ import annotations

from commander.domain.core.events import Event
from commander.domain.core.kinds import NOT_FOLDED, NOT_SHOWN, EventKind, Shown, register
from commander.domain.core.schema import (
    TEXT,
    a_line,
    a_name,
    a_text,
    an_address,
    an_id,
    items,
    moment,
    nullable,
    options,
    record,
    whole,
)
from commander.domain.core.when import from_iso
from commander.domain.incident.state import CustomTimer, IncidentState
from commander.domain.timeline.context import Context

# -- folds -------------------------------------------------------------------------------------------


def _update_sent(state: IncidentState, event: Event) -> None:
    state.updates_sent.append(event.occurred_at)
    state.snoozed_until = None  # a sent update starts a fresh cycle


def _update_snoozed(state: IncidentState, event: Event) -> None:
    state.snoozed_until = from_iso(event.payload["until"])


def _timer_set(state: IncidentState, event: Event) -> None:
    state.timers[event.id] = CustomTimer(
        event.id, event.payload["label"], from_iso(event.payload["due"]), event.actor, event.occurred_at
    )


def _timer_cancelled(state: IncidentState, event: Event) -> None:
    timer = state.timers.get(event.payload["timer"])
    if timer is not None and timer.cancelled_by is None:
        timer.cancelled_by, timer.cancelled_at = event.actor.name, event.occurred_at


def _timer_expired(state: IncidentState, event: Event) -> None:
    timer = state.timers.get(event.payload["timer"])
    if timer is not None and timer.running:  # one cancelled before it fell due never expires
        timer.expired_at = event.occurred_at


# -- the timeline's words ----------------------------------------------------------------------------


def _describe_sent(event: Event, context: Context) -> str:
    p = event.payload
    return f"Update sent to {p['audience']}" + (f": {p['summary']}" if p["summary"] else "")


def _describe_snoozed(event: Event, context: Context) -> str:
    p = event.payload
    return f"Next update snoozed to {context.time_format(from_iso(p['until']))}: {p['reason']}"


def _describe_overdue(event: Event, context: Context) -> str:
    return f"Stakeholder update overdue (was due {context.time_format(from_iso(event.payload['due']))})"


def _describe_queued(event: Event, context: Context) -> str:
    p = event.payload
    return f"Update queued for {p['destination']} ({p['template']})"


def _describe_delivered(event: Event, context: Context) -> str:
    p = event.payload
    cut = p.get("shortened")  # [characters sent, characters] when the service's limit cut it
    return f"Update delivered to {p['destination']}" + (
        f", shortened to {cut[0]:,} of {cut[1]:,} characters" if cut else ""
    )


def _describe_failed(event: Event, context: Context) -> str:
    p = event.payload
    return f"Update to {p['destination']} failed: {p['reason']}"


def _describe_timer_set(event: Event, context: Context) -> str:
    p = event.payload
    return f"Timer set: {p['label']} (due {context.time_format(from_iso(p['due']))})"


def _timer_label(event: Event, context: Context) -> str:
    """Read after the fold applied the event. A timer this log never set is named by its id."""
    timer = context.state.timers.get(event.payload["timer"])
    return timer.label if timer else f"timer {event.payload['timer'][:8]}"


def _describe_timer_expired(event: Event, context: Context) -> str:
    return f"Timer expired: {_timer_label(event, context)}"


def _describe_timer_cancelled(event: Event, context: Context) -> str:
    """A cancellation after the expiry is a dismissal (the fold has applied it, so the timer knows)."""
    timer = context.state.timers.get(event.payload["timer"])
    label = _timer_label(event, context)
    return f"Timer dismissed: {label}" if timer and timer.dismissed else f"Timer cancelled: {label}"


# -- the kinds ---------------------------------------------------------------------------------------

KINDS = register(
    EventKind(
        "update.sent",
        record({"audience": a_line, "summary": a_text}),
        _update_sent,
        Shown("update", _describe_sent),
    ),
    EventKind(
        "update.snoozed",
        record({"until": moment, "reason": a_text}),
        _update_snoozed,
        Shown("update", _describe_snoozed),
    ),
    EventKind("update.overdue", record({"due": moment}), NOT_FOLDED, Shown("update", _describe_overdue)),
    EventKind(
        "update.queued",
        record({"destination": a_line, "template": a_line, "text": a_text}),
        NOT_FOLDED,
        Shown("update", _describe_queued),
    ),
    EventKind(
        "update.delivered",
        record(
            {"delivery": an_id, "destination": a_line},
            {"remote_id": nullable(an_address), "shortened": nullable(items(whole(0, TEXT), 2, least=2))},
        ),  # [characters sent, characters] when cut
        _update_sent,  # published by Commander: it counts as an update sent
        Shown("update", _describe_delivered),
    ),
    EventKind(
        "update.failed",
        record({"delivery": an_id, "destination": a_line, "reason": a_text}),
        NOT_FOLDED,
        Shown("update", _describe_failed),
    ),
    # A custom timer; its id is its timer.set event's id. An expiry is written once across consoles: its id
    # derives from the timer's.
    EventKind("timer.set", record({"label": a_line, "due": moment}), _timer_set, Shown("timer", _describe_timer_set)),
    EventKind("timer.cancelled", record({"timer": an_id}), _timer_cancelled, Shown("timer", _describe_timer_cancelled)),
    EventKind("timer.expired", record({"timer": an_id}), _timer_expired, Shown("timer", _describe_timer_expired)),
)
SETTINGS_KINDS = register(
    EventKind("destination.added", record({"name": a_name, "kind": a_line, "options": options}), NOT_FOLDED, NOT_SHOWN),
    EventKind("destination.removed", record({"name": a_line}), NOT_FOLDED, NOT_SHOWN),
    EventKind(
        "template.saved",
        record({"key": a_name, "name": a_line, "stage": a_line, "audience": a_line, "body": a_text}),
        NOT_FOLDED,
        NOT_SHOWN,
    ),
    EventKind("template.removed", record({"key": a_line}), NOT_FOLDED, NOT_SHOWN),
)
