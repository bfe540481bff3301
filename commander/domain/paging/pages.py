"""Paging people for an incident, and escalating when nobody acknowledges: the decisions
(the state they read is in commander/domain/paging/state.py, the kinds in kinds.py). Pure: no clock, no I/O.

A page is a `page.sent` event (the page's id is the event's, repeated in the payload), written before
anything leaves the machine; `page.delivered` or `page.failed` follows once the pager has answered. Paging
a service starts a run of its escalation policy (the run's id is its first page's). A run is a list of
steps, one per (round, level) of the policy's plan (`escalation_plan`): the first pages, then each
`page.escalated` with the pages it sends. The latest step escalates once it has waited `after` minutes
(its level's delay; 0 when nothing follows it) while the incident is open and nobody has acknowledged any
of the run's pages.

Escalation events take their ids from the run and the step, and their time (and whom a schedule has on
call) from the moment the step fell due, so two consoles escalating at once write the same events and the
store keeps one. A console that was closed through several delays catches up a level a tick: the policy
says those people should have been paged by now.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from commander.domain.core.clock import to_ms
from commander.domain.core.errors import DomainError
from commander.domain.core.events import EventDraft, incident_stream
from commander.domain.core.ids import new_id
from commander.domain.core.policy import Policy
from commander.domain.core.text import NAME_MAX, clean_line
from commander.domain.incident.state import IncidentState
from commander.domain.paging.kinds import KINDS
from commander.domain.paging.state import Page, Paging, Run, Step, apply, dump, restore

if TYPE_CHECKING:  # on-call (schedules, rotations) loads when a page is decided, not with every import
    from commander.domain.oncall.schedules import EscalationPolicy, EscalationStep, Responder, Schedule

__all__ = [
    "DEDUP_MAX",
    "KINDS",
    "PAGERDUTY_SEVERITIES",
    "STUCK_AFTER",
    "Page",
    "Paging",
    "Run",
    "Step",
    "VIA",
    "acknowledge",
    "answered",
    "apply",
    "awaiting",
    "counting_down",
    "dedup_key",
    "due_runs",
    "dump",
    "escalate",
    "first_delay",
    "following",
    "next_due",
    "page_person",
    "page_service",
    "pagerduty_severity",
    "resolve",
    "restore",
    "running_run",
    "stuck",
]

DEDUP_MAX = 255  # "The maximum permitted length of this property is 255 characters" (Events API v2)
_PAGE_NAMESPACE = uuid.UUID("6f1c3b0e-2f7d-4d7e-9a55-1c0de0000008")
_STEP_NAMESPACE = uuid.UUID("6f1c3b0e-2f7d-4d7e-9a55-1c0de0000009")
PAGERDUTY_SEVERITIES = ("critical", "error", "warning", "info")  # the Events API's enum, most severe first
STUCK_AFTER = timedelta(minutes=3)  # longer than a send with every retry takes (5 attempts, back-off, timeouts)


# -- deciding --------------------------------------------------------------------------------------------


def dedup_key(incident_id: str, person: str, round_: int = 0) -> str:
    """Stable for one person on one incident, so paging them again (a retry, a second console, a second
    click) adds to the alert PagerDuty already has instead of paging twice. A repeat round of the policy
    gets its own key: by then the person should be paged again."""
    key = f"commander/{incident_id}/{person.strip().casefold()}" + (f"/round-{round_ + 1}" if round_ else "")
    if len(key) <= DEDUP_MAX:
        return key
    return f"commander/{incident_id}/{hashlib.sha256(key.encode()).hexdigest()}"


def pagerduty_severity(policy: Policy, severity: str) -> str:
    """Our severity as the Events API names it, by rank: the most severe is critical, then error, warning,
    and info for the rest (SEV1 critical … SEV4 info with the default policy)."""
    found = policy.find_severity(severity)
    rank = found.rank if found is not None else len(PAGERDUTY_SEVERITIES) - 1
    return PAGERDUTY_SEVERITIES[min(rank, len(PAGERDUTY_SEVERITIES) - 1)]


def first_delay(policy: EscalationPolicy) -> int:
    """Minutes the first level waits before the next is paged; 0 when the plan has one step."""
    from commander.domain.oncall.schedules import escalation_plan

    plan = escalation_plan(policy)
    return int((plan[1].after - plan[0].after).total_seconds() // 60) if len(plan) > 1 else 0


def running_run(paging: Paging, service: str) -> Run | None:
    return next(
        (run for run in paging.runs.values() if run.service.casefold() == service.casefold() and paging.running(run)),
        None,
    )


def page_service(
    state: IncidentState,
    policy: EscalationPolicy,
    responders: Sequence[Responder],
    *,
    service: str,
    pager: str,
    now: datetime,
) -> list[EventDraft]:
    """The first level of the service's policy: one `page.sent` per person, starting a run."""
    _check_open(state)
    running = running_run(state.paging, service)
    if running is not None:
        raise DomainError(
            f"{service} is being paged already (level {running.current.level + 1} of {policy.name}, "
            f"nobody has acknowledged yet). Acknowledge or resolve those pages first."
        )
    if not responders:
        raise DomainError(
            f"Nobody is on call at the first level of {policy.name} for {service} right now. Page a "
            f"person by name instead, or add an override to the schedule."
        )
    ids = [new_id(to_ms(now)) for _ in responders]
    after = first_delay(policy)
    return [
        _sent(state, page_id, responder, service=service, level=0, round_=0, pager=pager, run=ids[0], after=after)
        for page_id, responder in zip(ids, responders, strict=True)
    ]


def page_person(state: IncidentState, person: str, *, pager: str, now: datetime) -> list[EventDraft]:
    """One page to one person, outside any escalation policy: it does not escalate."""
    from commander.domain.oncall.schedules import Responder

    _check_open(state)
    who = clean_line(person, field="person to page", limit=NAME_MAX)
    return [
        _sent(state, new_id(to_ms(now)), Responder(who), service="", level=0, round_=0, pager=pager, run="", after=0)
    ]


def _sent(
    state: IncidentState,
    page_id: str,
    responder: Responder,
    *,
    service: str,
    level: int,
    round_: int,
    pager: str,
    run: str,
    after: int,
    at: datetime | None = None,
) -> EventDraft:
    return EventDraft(
        incident_stream(state.id),
        "page.sent",
        {
            "page": page_id,
            "target": responder.person,
            "via": responder.via,
            "service": service,
            "level": level,
            "round": round_,
            "pager": pager,
            "dedup_key": dedup_key(state.id, responder.person, round_),
            "run": run,
            "after": after,
        },
        at,
        id=page_id,
    )


def _check_open(state: IncidentState) -> None:
    if not state.declared:
        raise DomainError(f"No incident {state.reference} has been declared.")
    if not state.is_open:
        raise DomainError(
            f"{state.reference} is {state.status.value}: nobody needs paging for it. Reopen it first "
            f"if it needs people again."
        )


def stuck(paging: Paging, origin: str, now: datetime, *, after: timedelta = STUCK_AFTER) -> list[Page]:
    """Pages `origin` wrote and never recorded an answer for, `after` their sending: the console was closed
    (or died) while sending them. Not resolved ones: those are moot."""
    return [
        page
        for page in paging.pages.values()
        if page.delivery == "queued"
        and page.origin == origin
        and not page.resolved
        and now - (page.written_at or page.sent_at) >= after
    ]


def counting_down(state: IncidentState) -> list[tuple[Run, datetime]]:
    """Runs counting down to their next step, with when it falls due; none once the incident is resolved."""
    if not state.is_open:
        return []
    return [
        (run, due)
        for run in state.paging.runs.values()
        if run.steps and state.paging.running(run) and (due := run.current.due) is not None
    ]


def due_runs(state: IncidentState, now: datetime) -> list[Run]:
    """Runs whose latest step has waited its delay with nobody acknowledging, while the incident is open."""
    return [run for run, due in counting_down(state) if due <= now]


def next_due(state: IncidentState) -> datetime | None:
    """When the next escalation falls due, if one is waiting."""
    return min((due for _run, due in counting_down(state)), default=None)


def following(policy: EscalationPolicy | None, step: Step) -> tuple[EscalationStep | None, int]:
    """The plan's step after `step`, and the minutes that one waits in turn (0 when nothing follows it)."""
    from commander.domain.oncall.schedules import escalation_plan

    plan = escalation_plan(policy) if policy is not None else []
    index = next((i for i, s in enumerate(plan) if (s.round, s.level) == (step.round, step.level)), None)
    if index is None or index + 1 >= len(plan):
        return None, 0
    after = plan[index + 2].after - plan[index + 1].after if index + 2 < len(plan) else timedelta(0)
    return plan[index + 1], int(after.total_seconds() // 60)


def escalate(
    state: IncidentState, run: Run, policy: EscalationPolicy | None, schedules: Mapping[str, Schedule]
) -> list[EventDraft]:
    """The step after the run's latest, paged as of the moment that one fell due. When the policy has no
    such step any more (it was changed, or the service lost its policy), the run ends, saying why."""
    step = run.current
    due = step.due
    assert due is not None, "only a step with a delay escalates"
    upcoming, after = following(policy, step)
    stream = incident_stream(state.id)
    if upcoming is None:
        level, round_ = step.level + 1, step.round
        responders: list[Responder] = []
        note = (
            f"{run.service} has no escalation policy any more"
            if policy is None
            else f"{policy.name} has no step after level {step.level + 1} any more"
        )
    else:
        assert policy is not None
        level, round_ = upcoming.level, upcoming.round
        from commander.domain.oncall.schedules import escalation_targets

        responders = escalation_targets(policy, level, due, dict(schedules))
        note = "" if responders else "nobody is on call at this level"
    previous = step.pages[0] if step.pages else step.from_page
    drafts = [
        EventDraft(
            stream,
            "page.escalated",
            {
                "page": previous,
                "run": run.id,
                "level": level,
                "round": round_,
                "after": after,
                "targets": [r.person for r in responders],
                "note": note,
            },
            due,
            id=str(uuid.uuid5(_STEP_NAMESPACE, f"{run.id}:{round_}:{level}")),
        )
    ]
    for responder in responders:
        page_id = str(uuid.uuid5(_PAGE_NAMESPACE, f"{run.id}:{round_}:{level}:{responder.person.casefold()}"))
        drafts.append(
            _sent(
                state,
                page_id,
                responder,
                service=run.service,
                level=level,
                round_=round_,
                pager=run.pager,
                run=run.id,
                after=after,
                at=due,
            )
        )
    return drafts


def acknowledge(state: IncidentState, wanted: str, by: str = "") -> list[EventDraft]:
    """Someone answered the page (by default the person paged): the run stops escalating."""
    page = state.paging.find(wanted)
    if page.resolved:
        raise DomainError(f"The page to {page.target} is resolved already: there is nothing to acknowledge.")
    if page.acknowledged_by:
        raise DomainError(f"{page.acknowledged_by} acknowledged the page to {page.target} already.")
    who = clean_line(by, field="who acknowledged", limit=NAME_MAX, required=False) or page.target
    return [EventDraft(incident_stream(state.id), "page.acknowledged", {"page": page.id, "by": who})]


VIA = ("pagerduty", "chat")  # where an acknowledgement made outside Commander was read from
POLL_MAX = 50  # pages read back from PagerDuty in one round: one request each


def awaiting(state: IncidentState, pagers: Collection[str], *, limit: int = POLL_MAX) -> list[Page]:
    """Pages through one of `pagers` (PagerDuty pagers this console can read) still waiting for an answer:
    sent with a dedup key, not failed, not acknowledged, not resolved, while the incident is open. The
    oldest first, at most `limit`."""
    if not state.is_open:
        return []
    waiting = [
        page
        for page in state.paging.pages.values()
        if page.pager in pagers
        and page.dedup_key
        and page.delivery != "failed"
        and not page.acknowledged_by
        and not page.resolved
    ]
    return sorted(waiting, key=lambda p: (p.sent_at, p.id))[:limit]


def answered(state: IncidentState, page_id: str, by: str, via: str) -> list[EventDraft]:
    """Someone answered the page outside Commander (in PagerDuty, or "ack" in the page's chat thread): the
    run stops escalating. Nothing when it is answered or resolved already, so reading the same answer twice
    (two consoles, two replies) records it once."""
    if via not in VIA:
        raise ValueError(f"not a place an answer is read from: {via!r}")
    page = state.paging.pages.get(page_id)
    if page is None or page.acknowledged_by or page.resolved:
        return []
    who = clean_line(by, field="who acknowledged", limit=NAME_MAX, required=False) or page.target
    return [EventDraft(incident_stream(state.id), "page.acknowledged", {"page": page.id, "by": who, "via": via})]


def resolve(state: IncidentState) -> list[EventDraft]:
    """Every page not resolved yet: they follow the incident."""
    return [
        EventDraft(incident_stream(state.id), "page.resolved", {"page": page.id}) for page in state.paging.open_pages()
    ]
