"""The incident's own event kinds, in "incident:<id>": declaring and editing it, its severity, status,
milestones and roles."""

from __future__ import annotations

from datetime import datetime

from commander.domain.core.events import Event
from commander.domain.core.kinds import EventKind, Shown, register
from commander.domain.core.policy import Policy
from commander.domain.core.schema import LINE, MANY, a_line, a_text, boolean, moment, nullable, record, texts
from commander.domain.core.when import format_duration, from_iso
from commander.domain.incident.state import MILESTONES, STATUS_MILESTONE, IncidentState, RoleSlot, Status, Tenure
from commander.domain.timeline.context import Context

# -- folds -------------------------------------------------------------------------------------------


def _declared(state: IncidentState, event: Event) -> None:
    p = event.payload
    state.title, state.severity, state.summary = p["title"], p["severity"], p["summary"]
    state.services, state.drill = list(p["services"]), p["drill"]
    state.declared_by = event.actor
    state.milestones["declared"] = event.occurred_at
    state.milestones.setdefault("detected", event.occurred_at)
    state.milestones.setdefault("acknowledged", event.occurred_at)
    state.severity_history.append((state.severity, event.occurred_at))


def _edited(state: IncidentState, event: Event) -> None:
    p = event.payload
    if "title" in p:
        state.title = p["title"]
    if "summary" in p:
        state.summary = p["summary"]
    if "services" in p:
        state.services = list(p["services"])


def _severity(state: IncidentState, event: Event) -> None:
    state.severity = event.payload["severity"]
    state.severity_history.append((state.severity, event.occurred_at))


def _status(state: IncidentState, event: Event) -> None:
    try:
        new = Status(event.payload["status"])
    except ValueError:
        return  # a status this version does not know: leave the state as it was
    if not state.status.is_open and new.is_open:
        state.reopened += 1
    for status, milestone in STATUS_MILESTONE.items():
        if status.rank > new.rank:
            state.milestones.pop(milestone, None)
    if new in STATUS_MILESTONE:
        state.milestones[STATUS_MILESTONE[new]] = event.occurred_at
    state.status = new


def _milestone(state: IncidentState, event: Event) -> None:
    name = event.payload["milestone"]
    if name in MILESTONES:
        state.milestones[name] = from_iso(event.payload["at"])


def _role_added(state: IncidentState, event: Event) -> None:
    p = event.payload
    if p["role"] not in state.roles:
        state.roles[p["role"]] = RoleSlot(p["role"], p["name"], p["duty"], custom=True)


def _role_assigned(state: IncidentState, event: Event) -> None:
    p = event.payload
    slot = state.roles.get(p["role"])
    if slot is None:  # assigned on a console that added the role in an event we have not folded
        slot = state.roles[p["role"]] = RoleSlot(p["role"], p["role"].replace("_", " ").title(), "", True)
    if slot.history and slot.history[-1].until is None:
        slot.history[-1].until = event.occurred_at
    slot.holder = p["person"]
    slot.since = event.occurred_at if p["person"] else None
    if p["person"]:
        slot.history.append(Tenure(p["person"], event.occurred_at))


# -- the timeline's words ----------------------------------------------------------------------------


def _describe_declared(event: Event, context: Context) -> str:
    p = event.payload
    drill = " (drill)" if p["drill"] else ""
    return f"{p['severity']} declared{drill}: {p['title']}"


def _describe_edited(event: Event, context: Context) -> str:
    p = event.payload
    parts = []
    if "title" in p:
        parts.append(f"title is now “{p['title']}”")
    if "services" in p:
        parts.append("services: " + (", ".join(p["services"]) or "none"))
    if "summary" in p:
        parts.append("impact summary updated")
    return "Details changed: " + "; ".join(parts) if parts else "Details changed"


def _describe_severity(event: Event, context: Context) -> str:
    p = event.payload
    reason = f": {p['reason']}" if p["reason"] else ""
    verb = _severity_verb(context.policy, p["previous"], p["severity"])
    return f"Severity {verb} {p['previous']} → {p['severity']}{reason}"


def _severity_verb(policy: Policy, previous: str, new: str) -> str:
    before, after = policy.find_severity(previous), policy.find_severity(new)
    if before is None or after is None:
        return "changed"
    return "raised" if after.rank < before.rank else "lowered"


def _describe_status(event: Event, context: Context) -> str:
    p = event.payload
    reason = f": {p['reason']}" if p["reason"] else ""
    return f"Status {p['previous']} → {p['status']}{reason}"


def _describe_milestone(event: Event, context: Context) -> str:
    p = event.payload
    return f"{p['milestone'].capitalize()} time set to {context.time_format(from_iso(p['at']))}"


def _milestone_at(event: Event) -> datetime:
    """A milestone's entry sits at the moment it names: "09:12 detected", set later."""
    return from_iso(event.payload["at"])


def _describe_role_added(event: Event, context: Context) -> str:
    p = event.payload
    return f"Role added: {p['name']}" + (f" ({p['duty']})" if p["duty"] else "")


def _describe_role_assigned(event: Event, context: Context) -> str:
    """Read before the fold applies the event: it names who held the role, and for how long."""
    p = event.payload
    slot = context.state.roles.get(p["role"])
    role_name = slot.name if slot else p["role"].replace("_", " ").title()
    person, previous = p["person"], slot.holder if slot else None
    held = ""
    if slot and slot.holder and slot.since:
        held = f" after {format_duration(event.occurred_at - slot.since)}"
    if person and previous:
        return f"{previous} handed {role_name} to {person}{held}"
    if person:
        return f"{person} is {role_name}"
    return f"{previous} stepped down as {role_name}{held}; the role is unfilled" if previous else f"{role_name} cleared"


# -- the kinds ---------------------------------------------------------------------------------------

_services = texts(LINE, MANY)

KINDS = register(
    EventKind(
        "incident.declared",
        record({"title": a_line, "severity": a_line, "services": _services, "summary": a_text, "drill": boolean}),
        _declared,
        Shown("incident", _describe_declared),
    ),
    EventKind(
        "incident.edited",
        record({}, {"title": a_line, "summary": a_text, "services": _services}),
        _edited,
        Shown("incident", _describe_edited),
    ),
    EventKind(
        "severity.changed",
        record({"severity": a_line, "previous": a_line, "reason": a_text}),
        _severity,
        Shown("severity", _describe_severity),
    ),
    EventKind(
        "status.changed",
        record({"status": a_line, "previous": a_line, "reason": a_text}),
        _status,
        Shown("status", _describe_status),
    ),
    EventKind(
        "milestone.set",
        record({"milestone": a_line, "at": moment}),
        _milestone,
        Shown("milestone", _describe_milestone, at=_milestone_at),
    ),
    EventKind(
        "role.added",
        record({"role": a_line, "name": a_line, "duty": a_text}),
        _role_added,
        Shown("role", _describe_role_added),
    ),
    EventKind(
        "role.assigned",
        record({"role": a_line, "person": nullable(a_line), "previous": nullable(a_line)}),
        _role_assigned,
        Shown("role", _describe_role_assigned, before_fold=True),
    ),
)
