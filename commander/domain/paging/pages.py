"""Paging people for an incident, and escalating when nobody acknowledges: the events, their fold, and
the decisions. Pure: no clock, no I/O.

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from commander.domain.core.clock import from_ms, to_ms
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, EventDraft, incident_stream
from commander.domain.core.ids import new_id
from commander.domain.core.policy import Policy
from commander.domain.core.text import NAME_MAX, clean_line

if TYPE_CHECKING:  # the incident fold imports this module: the state is only a type here
    from commander.domain.incident.state import IncidentState
    from commander.domain.oncall.schedules import EscalationPolicy, EscalationStep, Responder, Schedule
# The rest of on-call (schedules, rotations) loads when a page is decided, not with every incident fold.

KINDS = ("page.sent", "page.delivered", "page.failed", "page.acknowledged", "page.escalated", "page.resolved")
DEDUP_MAX = 255  # "The maximum permitted length of this property is 255 characters" (Events API v2)
_PAGE_NAMESPACE = uuid.UUID("6f1c3b0e-2f7d-4d7e-9a55-1c0de0000008")
_STEP_NAMESPACE = uuid.UUID("6f1c3b0e-2f7d-4d7e-9a55-1c0de0000009")
PAGERDUTY_SEVERITIES = ("critical", "error", "warning", "info")  # the Events API's enum, most severe first
STUCK_AFTER = timedelta(minutes=3)  # longer than a send with every retry takes (5 attempts, back-off, timeouts)


@dataclass(slots=True)
class Page:
    id: str
    target: str  # the person paged
    via: str  # the schedule that put them on call; "" when named
    service: str  # "" for a page to a person
    level: int  # 0 is the policy's first level
    round: int  # 0 is the first pass through the levels
    pager: str
    dedup_key: str
    run: str  # "" for a page to a person: it does not escalate
    sent_at: datetime
    sent_by: str
    origin: str = ""  # the console that wrote it: the one that sends it
    written_at: datetime | None = None  # when it was written (an escalation's page is sent_at its due time)
    delivery: str = "queued"  # queued, delivered, failed
    detail: str = ""  # what the pager said, or why it failed
    acknowledged_by: str = ""
    acknowledged_at: datetime | None = None
    escalated_to: int | None = None  # the level paged after this one
    resolved_at: datetime | None = None
    problem: str = ""  # an acknowledgement or resolution that did not reach the pager

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None

    @property
    def state(self) -> str:
        """In words, the latest that matters: resolved, acknowledged, failed, escalated, delivered, sent."""
        if self.resolved:
            return "resolved"
        if self.acknowledged_by:
            return f"acknowledged by {self.acknowledged_by}"
        if self.delivery == "failed":
            return "failed"
        if self.escalated_to is not None:
            return f"escalated to level {self.escalated_to + 1}"
        return "delivered" if self.delivery == "delivered" else "sent"


@dataclass(slots=True)
class Step:
    """One (round, level) of a run: when it was paged, how long it waits, whom it paged."""

    level: int
    round: int
    at: datetime
    after: int  # minutes before the next step; 0: nothing follows
    from_page: str  # the page it escalated from (its own first page for the first step)
    pages: list[str] = field(default_factory=list)
    note: str = ""  # why it paged nobody, or why the run ends here

    @property
    def due(self) -> datetime | None:
        return self.at + timedelta(minutes=self.after) if self.after else None


@dataclass(slots=True)
class Run:
    id: str
    service: str
    pager: str
    steps: list[Step] = field(default_factory=list)
    acknowledged_by: str = ""

    @property
    def current(self) -> Step:
        return self.steps[-1]

    def step(self, level: int, round_: int) -> Step | None:
        return next((s for s in self.steps if (s.level, s.round) == (level, round_)), None)


@dataclass(slots=True)
class Paging:
    """Every page of an incident and every run of an escalation policy, as the fold builds them."""

    pages: dict[str, Page] = field(default_factory=dict)
    runs: dict[str, Run] = field(default_factory=dict)

    def open_pages(self) -> list[Page]:
        """Pages not resolved, and not failed (a failed page left nothing open at the pager)."""
        return [page for page in self.pages.values() if not page.resolved and page.delivery != "failed"]

    def running(self, run: Run) -> bool:
        """Still escalating: nobody acknowledged, and its pages were not resolved (with the incident). Pages
        that failed escalate like any other: nobody answered them either."""
        return not run.acknowledged_by and not any(
            self.pages[p].resolved for s in run.steps for p in s.pages if p in self.pages
        )

    def find(self, wanted: str) -> Page:
        """A page by its id or any unambiguous start of it (the command line shows short ids)."""
        prefix = wanted.strip().lower()
        found = [page for page in self.pages.values() if prefix and page.id.startswith(prefix)]
        exact = [page for page in found if page.id == prefix]
        if exact or len(found) == 1:
            return (exact or found)[0]
        if not found:
            raise DomainError(
                f"No page '{wanted}' on this incident. `commander page list REF` shows them with their ids."
            )
        raise DomainError(f"'{wanted}' matches {len(found)} pages. Type more of the id.")


# -- the fold ------------------------------------------------------------------------------------------


def apply(paging: Paging, event: Event) -> None:
    """Fold one page event into the incident's paging (the incident fold calls this)."""
    if event.kind == "page.sent":
        _sent_page(paging, event)
    elif event.kind == "page.escalated":
        _escalated(paging, event)
    else:
        page = paging.pages.get(event.payload["page"])
        if page is not None:  # else about a page this log does not hold
            _outcome(paging, page, event)


def _sent_page(paging: Paging, event: Event) -> None:
    p: Any = event.payload
    page = Page(
        p["page"],
        p["target"],
        p["via"],
        p["service"],
        p["level"],
        p["round"],
        p["pager"],
        p["dedup_key"],
        p["run"],
        event.occurred_at,
        event.actor.name,
        event.origin,
        event.recorded_at,
    )
    paging.pages[page.id] = page
    if page.run:
        run = paging.runs.setdefault(page.run, Run(page.run, page.service, page.pager))
        step = run.step(page.level, page.round)
        if step is None:
            step = _add_step(run, Step(page.level, page.round, event.occurred_at, p["after"], page.id))
        step.pages.append(page.id)


def _escalated(paging: Paging, event: Event) -> None:
    p: Any = event.payload
    run = paging.runs.get(p["run"])
    if run is None:
        return
    for earlier in run.steps:
        if (earlier.round, earlier.level) < (p["round"], p["level"]):
            for page_id in earlier.pages:
                page = paging.pages.get(page_id)
                if page is not None and page.escalated_to is None:
                    page.escalated_to = p["level"]
    step = run.step(p["level"], p["round"])
    if step is None:  # else its pages arrived first
        step = _add_step(run, Step(p["level"], p["round"], event.occurred_at, p["after"], p["page"]))
    step.from_page, step.note, step.after = p["page"], p["note"], p["after"]


def _outcome(paging: Paging, page: Page, event: Event) -> None:
    p: Any = event.payload
    if event.kind == "page.delivered":
        if page.delivery == "queued":
            page.delivery, page.detail = "delivered", p["detail"]
    elif event.kind == "page.failed":
        if page.delivery == "queued":
            page.delivery, page.detail = "failed", p["reason"]
        else:  # an acknowledgement or resolution that did not reach the pager
            page.problem = p["reason"]
    elif event.kind == "page.acknowledged":
        if not page.acknowledged_by:
            page.acknowledged_by, page.acknowledged_at = p["by"], event.occurred_at
        run = paging.runs.get(page.run)
        if run is not None and not run.acknowledged_by:
            run.acknowledged_by = p["by"]
    elif event.kind == "page.resolved":
        page.resolved_at = page.resolved_at or event.occurred_at


def _add_step(run: Run, step: Step) -> Step:
    run.steps.append(step)
    run.steps.sort(key=lambda s: (s.round, s.level))
    return step


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


def resolve(state: IncidentState) -> list[EventDraft]:
    """Every page not resolved yet: they follow the incident."""
    return [
        EventDraft(incident_stream(state.id), "page.resolved", {"page": page.id}) for page in state.paging.open_pages()
    ]


# -- the timeline's words --------------------------------------------------------------------------------


def describe(paging: Paging, event: Event) -> str:
    """The timeline entry for a page event, read after the fold applied it."""
    p = event.payload
    if event.kind == "page.sent":
        why = ""
        if p["service"]:
            where = f", on call on {p['via']}" if p["via"] else ""
            repeat = f", repeat {p['round']}" if p["round"] else ""
            why = f" for {p['service']} (level {p['level'] + 1}{repeat}{where})"
        return f"Paged {p['target']} through {p['pager']}{why}"
    if event.kind == "page.escalated":
        run = paging.runs.get(p["run"])
        earlier = [s for s in run.steps if (s.round, s.level) < (p["round"], p["level"])] if run else []
        waited = f" in {earlier[-1].after} min" if earlier and earlier[-1].after else ""
        service = run.service if run else "the service"
        if not p["targets"] and not p["after"]:
            return f"Escalation of {service} stopped: {p['note']}"
        repeat = f" (repeat {p['round']})" if p["round"] else ""
        whom = f": paging {', '.join(p['targets'])}" if p["targets"] else f": {p['note'] or 'nobody to page'}"
        then = f"; the next level follows in {p['after']} min" if not p["targets"] and p["after"] else ""
        return f"Nobody acknowledged{waited}: {service} escalated to level {p['level'] + 1}{repeat}{whom}{then}"
    page = paging.pages.get(p["page"])
    whom = page.target if page else f"page {p['page'][:8]}"
    if event.kind == "page.delivered":
        return f"Page to {whom} delivered" + (f": {p['detail']}" if p["detail"] else "")
    if event.kind == "page.failed":
        return f"Page to {whom} failed: {p['reason']}"
    if event.kind == "page.acknowledged":
        recorded = f" (recorded by {event.actor.name})" if event.actor.name.casefold() != p["by"].casefold() else ""
        return (
            f"{p['by']} acknowledged the page to {whom}{recorded}"
            if p["by"].casefold() != whom.casefold()
            else f"{whom} acknowledged the page{recorded}"
        )
    if event.kind == "page.resolved":
        return f"Page to {whom} resolved"
    return event.kind


# -- snapshots ---------------------------------------------------------------------------------------


def dump(paging: Paging) -> dict[str, list[list[Any]]]:
    """JSON-ready form for the incident snapshot (commander.domain.incident.snapshot)."""
    return {
        "pages": [
            [
                p.id,
                p.target,
                p.via,
                p.service,
                p.level,
                p.round,
                p.pager,
                p.dedup_key,
                p.run,
                to_ms(p.sent_at),
                p.sent_by,
                p.origin,
                _ms(p.written_at),
                p.delivery,
                p.detail,
                p.acknowledged_by,
                _ms(p.acknowledged_at),
                p.escalated_to,
                _ms(p.resolved_at),
                p.problem,
            ]
            for p in paging.pages.values()
        ],
        "runs": [
            [
                r.id,
                r.service,
                r.pager,
                r.acknowledged_by,
                [[s.level, s.round, to_ms(s.at), s.after, s.from_page, s.pages, s.note] for s in r.steps],
            ]
            for r in paging.runs.values()
        ],
    }


def restore(saved: Mapping[str, Sequence[Sequence[Any]]]) -> Paging:
    paging = Paging()
    for (
        page_id,
        target,
        via,
        service,
        level,
        round_,
        pager,
        key,
        run,
        sent_at,
        sent_by,
        origin,
        written_at,
        delivery,
        detail,
        acknowledged_by,
        acknowledged_at,
        escalated_to,
        resolved_at,
        problem,
    ) in saved["pages"]:
        paging.pages[page_id] = Page(
            page_id,
            target,
            via,
            service,
            level,
            round_,
            pager,
            key,
            run,
            from_ms(sent_at),
            sent_by,
            origin,
            _dt(written_at),
            delivery,
            detail,
            acknowledged_by,
            _dt(acknowledged_at),
            escalated_to,
            _dt(resolved_at),
            problem,
        )
    for run_id, service, pager, acknowledged_by, steps in saved["runs"]:
        paging.runs[run_id] = Run(
            run_id,
            service,
            pager,
            [
                Step(level, round_, from_ms(at), after, from_page, list(pages), note)
                for level, round_, at, after, from_page, pages, note in steps
            ],
            acknowledged_by,
        )
    return paging


def _ms(moment: datetime | None) -> int | None:
    return None if moment is None else to_ms(moment)


def _dt(ms: int | None) -> datetime | None:
    return None if ms is None else from_ms(ms)
