"""Pages and escalation runs of an incident, as the fold builds them from its page events (the decisions
that write those events are in commander/domain/paging/pages.py).

A page is a `page.sent` event (the page's id is the event's, repeated in the payload); `page.delivered` or
`page.failed` follows once the pager has answered. Paging a service starts a run of its escalation policy
(the run's id is its first page's). A run is a list of steps, one per (round, level) of the policy's plan:
the first pages, then each `page.escalated` with the pages it sends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from commander.domain.core.clock import from_ms, to_ms
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event


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
