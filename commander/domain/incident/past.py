"""Recording a past incident in one go: its real times, its severity history and who held which role when.

A responder writes an outage down after the fact. The decision checks the whole account (times in order,
nothing in the future, severities and roles the policy knows, every role held within the incident's life)
and writes the same event kinds the live path writes, each carrying the moment it really happened as its
effective time (`occurred_at`), as a backdated note or status change does. The fold and analytics then read
a past incident exactly as one run live: time to detect, time in each severity, who held a role.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from commander.domain.core.errors import DomainError
from commander.domain.core.events import EventDraft, incident_stream
from commander.domain.core.policy import Policy
from commander.domain.core.text import SUMMARY_MAX, clean_multiline, clean_name, clean_services, clean_title
from commander.domain.core.when import iso
from commander.domain.incident.decisions import check_chain, not_future, show_time
from commander.domain.incident.state import Status


@dataclass(frozen=True)
class SeveritySpan:
    """The incident was at `severity` from `since` until the next one's `since`."""

    severity: str
    since: datetime


@dataclass(frozen=True)
class RoleSpan:
    """`person` held `role` from `since` to `until` (None: to the end of the incident)."""

    role: str
    person: str
    since: datetime
    until: datetime | None = None


@dataclass(frozen=True)
class PastIncident:
    """The account of an incident that is over. The first severity is the one it was declared with (its
    time at or before the declaration); each later one starts after the declaration and before the
    resolution."""

    title: str
    declared: datetime
    resolved: datetime
    severities: tuple[SeveritySpan, ...]
    services: tuple[str, ...] = ()
    summary: str = ""
    detected: datetime | None = None
    acknowledged: datetime | None = None
    mitigated: datetime | None = None
    closed: datetime | None = None
    roles: tuple[RoleSpan, ...] = ()
    drill: bool = False


def record_past(incident_id: str, form: PastIncident, *, policy: Policy, now: datetime) -> list[EventDraft]:
    """The events of the whole incident, in the order they happened (the declaration first, as every
    other event of the incident is read against it)."""
    milestones = _milestones(form, now)
    severities = _severities(form, policy)
    end = form.closed or form.resolved
    stream = incident_stream(incident_id)
    declared = EventDraft(
        stream,
        "incident.declared",
        {
            "title": clean_title(form.title),
            "severity": severities[0].severity,
            "services": clean_services(list(form.services)),
            "summary": clean_multiline(form.summary, field="impact summary", limit=SUMMARY_MAX, required=False),
            "drill": form.drill,
        },
        form.declared,
    )
    later: list[EventDraft] = []
    for name in ("detected", "acknowledged"):
        moment = getattr(form, name)
        if moment is not None:
            later.append(EventDraft(stream, "milestone.set", {"milestone": name, "at": iso(moment)}, moment))
    for before, after in zip(severities, severities[1:], strict=False):
        payload = {"severity": after.severity, "previous": before.severity, "reason": ""}
        later.append(EventDraft(stream, "severity.changed", payload, after.since))
    later.extend(_role_drafts(stream, form, policy, start=milestones["detected"], end=end))
    previous = Status.INVESTIGATING
    for status, moment in (
        (Status.MITIGATED, form.mitigated),
        (Status.RESOLVED, form.resolved),
        (Status.CLOSED, form.closed),
    ):
        if moment is not None:
            payload = {"status": status.value, "previous": previous.value, "reason": ""}
            later.append(EventDraft(stream, "status.changed", payload, moment))
            previous = status
    return [declared, *sorted(later, key=lambda draft: draft.occurred_at or form.declared)]


def _milestones(form: PastIncident, now: datetime) -> dict[str, datetime]:
    given = {
        "detected": form.detected or form.declared,
        "declared": form.declared,
        "acknowledged": form.acknowledged or form.declared,
        "mitigated": form.mitigated,
        "resolved": form.resolved,
        "closed": form.closed,
    }
    milestones = {name: moment for name, moment in given.items() if moment is not None}
    for name, moment in milestones.items():
        not_future(moment, now, name)
    check_chain(milestones)
    if form.resolved < form.declared:
        raise DomainError(
            f"Resolved ({show_time(form.resolved)}) cannot be before declared ({show_time(form.declared)}): "
            f"a past incident was open from its declaration to its resolution. Check both times."
        )
    return milestones


def _severities(form: PastIncident, policy: Policy) -> list[SeveritySpan]:
    if not form.severities:
        raise DomainError("Give the severity the incident was declared with, e.g. SEV2 from the declared time.")
    spans = [SeveritySpan(policy.severity(span.severity).key, span.since) for span in form.severities]
    if spans[0].since > form.declared:
        raise DomainError(
            f"The first severity ({spans[0].severity} from {show_time(spans[0].since)}) is the one it was declared "
            f"with: give it from the declared time ({show_time(form.declared)}) or earlier."
        )
    for before, after in zip(spans, spans[1:], strict=False):
        if not form.declared < after.since < form.resolved:
            raise DomainError(
                f"{after.severity} from {show_time(after.since)} is outside the incident: a change of severity "
                f"falls after the declaration ({show_time(form.declared)}) and before the resolution "
                f"({show_time(form.resolved)})."
            )
        if after.since <= before.since:
            raise DomainError(
                f"Give the severities in time order: {after.severity} from {show_time(after.since)} is too early."
            )
        if after.severity == before.severity:
            raise DomainError(
                f"{after.severity} is given twice in a row (from {show_time(after.since)}): give each change once."
            )
    return spans


def _role_drafts(
    stream: str, form: PastIncident, policy: Policy, *, start: datetime, end: datetime
) -> list[EventDraft]:
    """Each tenure starts with an assignment; it ends with the next holder's assignment, or with the role
    left unfilled at its `until`."""
    by_role: dict[str, list[RoleSpan]] = {}
    known = {role.key for role in policy.roles}
    for span in form.roles:
        key = policy.role_key_for(span.role)
        if key not in known:
            names = ", ".join(role.name for role in policy.roles)
            raise DomainError(f"Unknown role '{span.role}'. Roles: {names}.")
        person = clean_name(span.person, field="person's name")
        until = span.until or end
        if not start <= span.since < until <= end:
            raise DomainError(
                f"{person} as {span.role} from {show_time(span.since)} to {show_time(until)} is outside the incident "
                f"({show_time(start)} to {show_time(end)}), or ends before it starts."
            )
        by_role.setdefault(key, []).append(RoleSpan(key, person, span.since, span.until))
    drafts = []
    for key, spans in by_role.items():
        spans.sort(key=lambda span: span.since)
        for before, after in zip(spans, spans[1:], strict=False):
            if before.until is None or after.since < before.until:
                raise DomainError(
                    f"{before.person} and {after.person} both hold {key.replace('_', ' ')} at "
                    f"{show_time(after.since)}: give when {before.person} handed it over."
                )
        for index, span in enumerate(spans):
            earlier = spans[index - 1] if index else None
            previous = earlier.person if earlier is not None and earlier.until == span.since else None
            drafts.append(_assigned(stream, key, span.person, previous, span.since))
            following = spans[index + 1] if index + 1 < len(spans) else None
            if span.until is not None and (following is None or following.since > span.until):
                drafts.append(_assigned(stream, key, None, span.person, span.until))
    return drafts


def _assigned(stream: str, role: str, person: str | None, previous: str | None, at: datetime) -> EventDraft:
    return EventDraft(stream, "role.assigned", {"role": role, "person": person, "previous": previous}, at)
