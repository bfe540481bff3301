"""Paging through the console: paging a service's on-call or a person, acknowledging (here, read back from
PagerDuty, or replied in a page's chat thread), escalating when nobody answers, and resolving the pages with
the incident. The pagers themselves and their secrets are in app/pagers.py.

Every use case writes its events first (`page.sent` before anything leaves, like publishing's
`update.queued`) and returns a `Dispatch`: the requests to make. `deliver` makes them and touches no store
(safe on a worker thread); `finish` records the outcomes. `run` does both, for the command line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from commander.app import oncall
from commander.app import pagers as pagers_
from commander.app.console import Console
from commander.app.setup import connections
from commander.app.setup.services import Services
from commander.app.updates import publishing
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, EventDraft, incident_stream
from commander.domain.incident.state import IncidentState
from commander.domain.oncall.schedules import EscalationPolicy, Responder, escalation_targets
from commander.domain.paging import pages as paging
from commander.domain.paging.pagers import PagerConfig, choose
from commander.domain.paging.pages import Page
from commander.domain.updates.destinations import DestinationConfig
from commander.integrations.destinations.base import Outcome, Update
from commander.integrations.destinations.publisher import StateListener
from commander.integrations.pagerduty import Alert, IncidentSeen, ReadProblem, RestV2, trigger_body
from commander.integrations.paging import PageJob, send_all
from commander.integrations.secrets import SecretStore

if TYPE_CHECKING:
    import httpx

SECRET_SHOWN = "•••• (routing key, in the keyring)"
PAGE_SHOWN = 8  # characters of a page's id in its chat message, which a reply in its thread is matched by
READS_AT_ONCE = 8  # PagerDuty reads in flight together (its REST API allows 960 a minute per key)
_PAGE_IN_TEXT = re.compile(r"\(page ([0-9a-f]{8,36})\)")
log = logging.getLogger(__name__)
# The pagers and their secrets, kept in app/pagers.py, are reached through this module too.
add_pager, guarded, pagers, remove_pager = pagers_.add_pager, pagers_.guarded, pagers_.pagers, pagers_.remove_pager
set_key, set_api_key, trust, _routing_key = pagers_.set_key, pagers_.set_api_key, pagers_.trust, pagers_._routing_key


# -- whom a page reaches -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServicePlan:
    """What paging a service would do now: whom its policy's first level reaches, and what follows."""

    service: str
    policy: EscalationPolicy
    responders: list[Responder]
    delay: int  # minutes before the next level; 0 when nothing follows
    then: list[Responder] = field(default_factory=list)  # the next level, as of when it would be paged

    def describe(self) -> str:
        """ "Sam (on call on Payments primary), level 1 of Payments. If nobody acknowledges within 15 min, the next
        level is paged: Morgan." """
        whom = ", ".join(f"{r.person} (on call on {r.via})" if r.via else r.person for r in self.responders)
        text = f"{whom or 'nobody'}, level 1 of {self.policy.name}."
        if self.delay:
            later = ", ".join(r.person for r in self.then) or "nobody is on call there"
            text += f" If nobody acknowledges within {self.delay} min, the next level is paged: {later}."
        return text


def plan_service(console: Console, service: str, at: datetime | None = None) -> ServicePlan:
    found = oncall.settings(console)
    policy = found.policy_for(service)
    moment = at or console.now()
    responders = escalation_targets(policy, 0, moment, found.schedules)
    delay = paging.first_delay(policy)
    then: list[Responder] = []
    if delay:
        level = 1 if len(policy.levels) > 1 else 0
        then = escalation_targets(policy, level, moment + timedelta(minutes=delay), found.schedules)
    return ServicePlan(service, policy, responders, delay, then)


def services(console: Console, incident_id: str | None = None) -> list[str]:
    """Services that page someone: the incident's own first, then every other routed service."""
    routed = [service for service, _policy in oncall.settings(console).routes.values()]
    mine = [
        s
        for s in (console.state(incident_id).services if incident_id else [])
        if s.casefold() in {r.casefold() for r in routed}
    ]
    return mine + [s for s in routed if s.casefold() not in {m.casefold() for m in mine}]


# -- what goes out -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dispatch:
    """Requests to make for an incident's pages, in the order their events were written, and the services
    they go out through."""

    incident_id: str
    jobs: list[PageJob]
    services: Services

    def __bool__(self) -> bool:
        return bool(self.jobs)


def page_service(console: Console, incident_id: str, service: str, pager: str | None, secrets: SecretStore) -> Dispatch:
    """Page the first level of the service's escalation policy; the run escalates from here."""
    config = choose(pagers(console), pager)
    _check_ready(console, config, secrets)
    plan = plan_service(console, service)
    written = console.perform(
        incident_id,
        lambda s: paging.page_service(
            s, plan.policy, plan.responders, service=plan.service, pager=config.name, now=console.now()
        ),
    )
    return _triggers(console, incident_id, written, secrets)


def page_person(console: Console, incident_id: str, person: str, pager: str | None, secrets: SecretStore) -> Dispatch:
    config = choose(pagers(console), pager)
    _check_ready(console, config, secrets)
    written = console.perform(
        incident_id, lambda s: paging.page_person(s, person, pager=config.name, now=console.now())
    )
    return _triggers(console, incident_id, written, secrets)


def acknowledge(console: Console, incident_id: str, page: str, secrets: SecretStore, by: str = "") -> Dispatch:
    """Record the acknowledgement (escalation stops); PagerDuty is told too, so it stops notifying."""
    written = console.perform(incident_id, lambda s: paging.acknowledge(s, page, by))
    return _follow_ups(console, incident_id, written, "acknowledge", secrets)


def resolve_pages(console: Console, incident_id: str, secrets: SecretStore) -> Dispatch:
    """Resolve every open page of the incident; PagerDuty's alerts are resolved too."""
    written = console.perform(incident_id, paging.resolve)
    return _follow_ups(console, incident_id, written, "resolve", secrets)


def escalate_due(console: Console, incident_id: str, secrets: SecretStore) -> Dispatch:
    """Page the next step of every run that waited its delay with nobody acknowledging. What other processes
    wrote to this store is read first, so one that escalated already is seen; and only the pages this console
    wrote are sent: when another console escalated first, the store kept its events (same ids), not ours."""
    console.catch_up()
    state = console.state(incident_id)
    due = paging.due_runs(state, console.now())
    if not due:
        return Dispatch(incident_id, [], console.services)
    found = oncall.settings(console)
    drafts: list[EventDraft] = []
    for run in due:
        try:
            policy: EscalationPolicy | None = found.policy_for(run.service)
        except DomainError:
            policy = None  # the service lost its policy: the run ends, and the timeline says why
        drafts += paging.escalate(state, run, policy, found.schedules)
    written = console.perform(incident_id, lambda _s: drafts)
    return _triggers(console, incident_id, written, secrets)


def resume_stuck(
    console: Console, incident_id: str, secrets: SecretStore, *, sending: Collection[str] = ()
) -> Dispatch:
    """Pages this console wrote and never recorded an answer for (it was closed mid-send), but for those still
    `sending`: PagerDuty's go again (the dedup key makes that safe); a chat mention may have been posted, so it
    is recorded as failed, saying so, rather than posted twice."""
    state = console.state(incident_id)
    found = [p for p in paging.stuck(state.paging, console.console_id, console.now()) if p.id not in sending]
    if not found:
        return Dispatch(incident_id, [], console.services)
    known = pagers(console)
    unsure = [p for p in found if p.pager in known and known[p.pager].kind == "chat"]
    gave_up = [
        EventDraft(
            incident_stream(incident_id),
            "page.failed",
            {
                "page": p.id,
                "reason": f"Commander was closed while posting it, so it may or may not have reached "
                f"{known[p.pager].options.get('destination', p.pager)}: page {p.target} again if "
                f"nobody answers",
            },
        )
        for p in unsure
    ]
    if gave_up:
        console.perform(incident_id, lambda _state: gave_up)
    return Dispatch(
        incident_id,
        [_trigger(console, state, p, known.get(p.pager), secrets) for p in found if p not in unsure],
        console.services,
    )


# -- answers made outside Commander ------------------------------------------------------------------------


def poll_acknowledgements(console: Console, *, problems: dict[str, str] | None = None, timeout: float = 10.0) -> int:
    """Read back from PagerDuty who answered each open page of every open incident (pages through a PagerDuty
    pager whose read-only REST API key this computer has: one request per page, at most `POLL_MAX`, the
    oldest first) and record the answered ones as acknowledged "in PagerDuty": their run stops escalating.
    A page whose read fails keeps the reason in `problems` (page id: a sentence) and never stops the others.
    Returns how many acknowledgements were recorded. Waits on the network: never on the UI thread."""
    console.catch_up()
    keys: dict[str, tuple[str, PagerConfig]] = {}
    held: dict[str, str] = {}
    for config in pagers(console).values():
        if config.kind == "pagerduty":
            key, why = pagers_.api_key(config, console.secrets)
            if key:
                keys[config.name] = (key, config)
            elif why:
                held[config.name] = why
    waiting = [
        (summary.id, page)
        for summary in console.incidents(include_closed=False)
        for page in paging.awaiting(console.state(summary.id), keys.keys() | held.keys())
    ][: paging.POLL_MAX]
    found = problems if problems is not None else {}
    for _incident, page in waiting:
        if page.pager in held:
            found[page.id] = held[page.pager]
    reads = [(incident, page) for incident, page in waiting if page.pager in keys]
    jobs = [(page, *keys[page.pager]) for _, page in reads]
    answers = asyncio.run(_read_all(console, jobs, timeout)) if jobs else []
    recorded = 0
    for (incident_id, page), seen in zip(reads, answers, strict=True):
        if isinstance(seen, str):
            found[page.id] = seen
        elif seen.answered:
            recorded += len(_answered(console, incident_id, page.id, seen.by or "someone", "pagerduty"))
    return recorded


def _answered(console: Console, incident_id: str, page_id: str, by: str, via: str) -> list[Event]:
    def decide(state: IncidentState) -> list[EventDraft]:
        return paging.answered(state, page_id, by, via)

    return console.perform(incident_id, decide)


async def _read_all(
    console: Console, reads: list[tuple[Page, str, PagerConfig]], timeout: float
) -> list[IncidentSeen | str]:
    """Each page's incident, or why it could not be read; a few at a time, each on its own."""
    gate = asyncio.Semaphore(READS_AT_ONCE)

    async def one(client: httpx.AsyncClient, page: Page, key: str, config: PagerConfig) -> IncidentSeen | str:
        async with gate:
            try:
                rest = RestV2(key, rest_url=config.options.get("rest_url", ""), name=config.name)
                return await rest.incident(client, page.dedup_key)
            except ReadProblem as problem:
                return str(problem)
            except Exception:  # a bug reading one page must not hide the others' answers
                log.exception("reading page %s back from %s failed", page.id, config.name)
                return f"reading it back from {config.name} failed unexpectedly (see the log)"

    async with console.services.http(timeout) as client:
        return list(await asyncio.gather(*(one(client, *read) for read in reads)))


def acknowledge_from_chat(console: Console, incident_id: str, page_ref_or_thread: str, who: str) -> Dispatch:
    """Someone replied "ack" in a page's chat thread. `page_ref_or_thread` is the page's id (or any
    unambiguous start of it), or the text of the thread's first message: a chat page's message ends with
    "(page 1a2b3c4d)". `who` is the person who replied, as the chat names them ("" for the person paged).
    The acknowledgement is recorded once, "in the chat thread" (a second ack records nothing) and the run
    stops escalating. For a PagerDuty page the returned requests tell PagerDuty too (run them with
    `deliver` and `finish`); a chat page has nothing to tell."""
    console.catch_up()
    state = console.state(incident_id)
    found = _PAGE_IN_TEXT.search(page_ref_or_thread[:10_000])
    page = state.paging.find(found.group(1) if found else page_ref_or_thread)
    written = _answered(console, incident_id, page.id, who, "chat")
    return _follow_ups(console, incident_id, written, "acknowledge", console.secrets)


def pages(console: Console, incident_id: str) -> list[Page]:
    """The incident's pages, oldest first."""
    return sorted(console.state(incident_id).paging.pages.values(), key=lambda p: (p.sent_at, p.level, p.target))


def _check_ready(console: Console, config: PagerConfig, secrets: SecretStore) -> None:
    """Refuse before anything is written when this computer cannot send through the pager."""
    if config.kind == "pagerduty":
        key, held = _routing_key(console, config, secrets)
        if held:
            raise DomainError(held)
        if key is None:
            raise DomainError(
                f"This computer has no routing key for {config.name} (keys stay in each computer's "
                f"keyring). Give it here with `commander pager secret '{config.name}'`."
            )
        return
    _, problem = _chat_destination(console, config, secrets)
    if problem:
        raise DomainError(problem)


def _chat_destination(
    console: Console, config: PagerConfig, secrets: SecretStore
) -> tuple[tuple[DestinationConfig, str] | None, str]:
    name = config.options.get("destination", "")
    found = publishing.destinations(console).get(name)
    if found is None:
        return (
            None,
            f"{config.name} posts through the destination {name}, which was removed. Add the pager again "
            f"with a destination that exists.",
        )
    try:
        secret = connections.bound_secret(connections.guarded(found), secrets)
    except DomainError as held:
        return None, str(held)
    if secret is None:
        return (
            None,
            f"This computer has no secret for {name}, which {config.name} posts through (secrets stay in "
            f"each computer's keyring). Add the destination again here.",
        )
    return (found, secret), ""


def _triggers(console: Console, incident_id: str, written: list[Event], secrets: SecretStore) -> Dispatch:
    known = pagers(console)
    state = console.state(incident_id)
    jobs = []
    for event in written:
        if event.kind != "page.sent" or event.origin != console.console_id:
            continue  # another console wrote this page first: it sends it
        page = state.paging.pages[event.id]
        jobs.append(_trigger(console, state, page, known.get(page.pager), secrets))
    return Dispatch(incident_id, jobs, console.services)


def _trigger(
    console: Console, state: IncidentState, page: Page, config: PagerConfig | None, secrets: SecretStore
) -> PageJob:
    if config is None:
        return PageJob(
            page.id,
            "trigger",
            page.pager,
            "",
            page.dedup_key,
            "",
            problem=f"the pager {page.pager} was removed: page {page.target} another way",
        )
    if config.kind == "pagerduty":
        key, held = _routing_key(console, config, secrets)
        problem = held or (
            ""
            if key
            else (
                f"this computer has no routing key for {config.name} (keys stay in "
                f"each computer's keyring): add it here, and page {page.target} another "
                f"way now"
            )
        )
        return PageJob(
            page.id,
            "trigger",
            config.name,
            "pagerduty",
            page.dedup_key,
            key or "",
            config.options,
            alert=alert(console, state, page, config),
            problem=problem,
        )
    found, problem = _chat_destination(console, config, secrets)
    if found is None:
        return PageJob(page.id, "trigger", config.name, "chat", page.dedup_key, "", problem=problem)
    destination, secret = found
    return PageJob(
        page.id,
        "trigger",
        config.name,
        "chat",
        page.dedup_key,
        secret,
        destination.options,
        destination=destination.name,
        destination_kind=destination.kind,
        update=chat_message(state, page, config),
    )


def _follow_ups(
    console: Console, incident_id: str, written: list[Event], action: str, secrets: SecretStore
) -> Dispatch:
    """PagerDuty's alerts follow the pages; a chat mention has nothing to take back, and a failed trigger
    left no alert."""
    state = console.state(incident_id)
    known = pagers(console)
    jobs = []
    for event in written:
        page = state.paging.pages[event.payload["page"]]
        config = known.get(page.pager)
        if page.delivery == "failed" or (config is not None and config.kind != "pagerduty"):
            continue
        jobs.append(_follow_up(console, page, config, action, secrets))
    return Dispatch(incident_id, jobs, console.services)


def _follow_up(console: Console, page: Page, config: PagerConfig | None, action: str, secrets: SecretStore) -> PageJob:
    if config is None:
        return PageJob(
            page.id,
            action,
            page.pager,
            "pagerduty",
            page.dedup_key,
            "",
            problem=f"the pager {page.pager} was removed, so it was not told: if it is PagerDuty, "
            f"{action} the alert for {page.target} there",
        )
    key, held = _routing_key(console, config, secrets)
    problem = (
        f"{held} PagerDuty was not told: {action} the alert for {page.target} there"
        if held
        else ""
        if key
        else (
            f"this computer has no routing key for {config.name}, so PagerDuty was not told: "
            f"{action} the alert for {page.target} in PagerDuty"
        )
    )
    return PageJob(
        page.id, action, config.name, "pagerduty", page.dedup_key, key or "", config.options, problem=problem
    )


def alert(console: Console, state: IncidentState, page: Page, config: PagerConfig) -> Alert:
    """The PagerDuty alert for a page: the incident, and whom it pages (one integration pages for everyone,
    so the person's name is in the summary)."""
    link = config.options.get("link", "").replace("{reference}", state.reference)
    details = {
        "reference": state.reference,
        "title": state.title,
        "link": link,
        "severity": state.severity,
        "status": state.status.value,
        "paged": page.target,
        "paged by": page.sent_by,
    }
    if page.service:
        details |= {"service": page.service, "escalation level": str(page.level + 1)}
    if page.via:
        details["on call on"] = page.via
    if state.summary:
        details["impact"] = state.summary
    source = page.service or (state.services[0] if state.services else "Commander")
    return Alert(
        f"[{state.severity}] {state.reference} {state.title}: paging {page.target}",
        source,
        paging.pagerduty_severity(console.policy, state.severity),
        page.sent_at,
        component=page.service,
        group=state.reference,
        class_="incident page",
        details=details,
        links=[(link, f"{state.reference} in Commander")] if link.startswith(("https://", "http://")) else [],
    )


def chat_message(state: IncidentState, page: Page, config: PagerConfig) -> Update:
    mention = config.mention(page.target) or page.target
    why = f" as on call for {page.service}" if page.service else ""
    text = (
        f"{mention}: you are paged{why} for {state.reference} ({state.severity}, {state.status.value}): "
        f"{state.title}. Reply ack in this thread when you are on it (page {page.id[:PAGE_SHOWN]})."
    )
    return Update(
        state.reference,
        state.severity,
        state.status.value,
        f"Paging {mention}: {state.title}",
        text,
        delivery=page.id,
        services=tuple(state.services),
        summary=state.summary,
    )


def preview(
    console: Console, incident_id: str, person: str, pager: str | None, secrets: SecretStore, service: str = ""
) -> str:
    """Exactly what paging `person` sends, with the routing key masked; nothing leaves the machine."""
    config = choose(pagers(console), pager)
    state = console.state(incident_id)
    page = Page(
        "preview",
        person,
        "",
        service,
        0,
        0,
        config.name,
        paging.dedup_key(state.id, person),
        "",
        console.now(),
        console.me.name,
    )
    if config.kind == "pagerduty":
        body = trigger_body(SECRET_SHOWN, page.dedup_key, alert(console, state, page, config))
        url = config.options.get("api_url") or "https://events.pagerduty.com/v2/enqueue"
        return f"POST {url}\n{json.dumps(body, indent=2, ensure_ascii=False)}"
    message = chat_message(state, page, config)
    return f"To {config.options.get('destination', '')}:\n{message.text}"


# -- sending -----------------------------------------------------------------------------------------------


def deliver(
    dispatch: Dispatch,
    *,
    on_state: StateListener = lambda pager, state, detail: None,
    timeout: float = 10.0,
    attempts: int = 5,
) -> list[Outcome]:
    """Make every request at once; outcomes in the jobs' order. Touches no store: safe on a worker thread."""

    async def run() -> list[Outcome]:
        async with dispatch.services.http(timeout) as client:
            return await send_all(dispatch.jobs, client=client, attempts=attempts, on_state=on_state)

    return asyncio.run(run()) if dispatch.jobs else []


def finish(console: Console, dispatch: Dispatch, outcomes: list[Outcome]) -> None:
    """Record what happened: a trigger delivered or failed; an acknowledge or resolve only when it failed."""
    stream = incident_stream(dispatch.incident_id)
    drafts = []
    for job, outcome in zip(dispatch.jobs, outcomes, strict=True):
        if job.action == "trigger":
            if outcome.state == "delivered":
                drafts.append(EventDraft(stream, "page.delivered", {"page": job.page, "detail": outcome.detail}))
            else:
                again = "; page again in a minute, or reach them another way" if not job.problem else ""
                drafts.append(EventDraft(stream, "page.failed", {"page": job.page, "reason": outcome.detail + again}))
        elif outcome.state != "delivered":
            done = "acknowledgement" if job.action == "acknowledge" else "resolution"
            drafts.append(
                EventDraft(
                    stream,
                    "page.failed",
                    {
                        "page": job.page,
                        "reason": f"the {done} did not reach {job.pager} ({outcome.detail}); "
                        f"{job.action} the alert in PagerDuty",
                    },
                )
            )
    if drafts:  # the outcomes, as they came: a decision of their own belongs in domain/paging
        console.perform(dispatch.incident_id, lambda _state: drafts)


def run(
    console: Console,
    dispatch: Dispatch,
    *,
    on_state: StateListener = lambda pager, state, detail: None,
    timeout: float = 10.0,
    attempts: int = 5,
) -> list[Outcome]:
    """Deliver and record, waiting: for the command line."""
    outcomes = deliver(dispatch, on_state=on_state, timeout=timeout, attempts=attempts)
    finish(console, dispatch, outcomes)
    return outcomes
