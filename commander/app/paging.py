"""Paging through the console: the team's pagers (their secrets in the keyring), paging a service's on-call
or a person, acknowledging, escalating when nobody answers, and resolving the pages with the incident.

Every use case writes its events first (`page.sent` before anything leaves, like publishing's
`update.queued`) and returns a `Dispatch`: the requests to make. `deliver` makes them and touches no store
(safe on a worker thread); `finish` records the outcomes. `run` does both, for the command line.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from commander.app import oncall
from commander.app.console import Console
from commander.app.setup import connections
from commander.app.setup.services import Services
from commander.app.updates import publishing
from commander.domain.core.connections import endpoint
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, EventDraft, incident_stream
from commander.domain.incident.state import IncidentState
from commander.domain.oncall.schedules import EscalationPolicy, Responder, escalation_targets
from commander.domain.paging import pagers as pager_settings
from commander.domain.paging import pages as paging
from commander.domain.paging.pagers import STREAM, PagerConfig, check_routing_key, choose, fold_pagers
from commander.domain.paging.pages import Page
from commander.domain.updates.destinations import DestinationConfig
from commander.integrations.destinations.base import Outcome, Update
from commander.integrations.destinations.publisher import StateListener
from commander.integrations.pagerduty import Alert, trigger_body
from commander.integrations.paging import PageJob, send_all
from commander.integrations.secrets import SecretStore

SECRET_SHOWN = "•••• (routing key, in the keyring)"


def pagers(console: Console) -> dict[str, PagerConfig]:
    return fold_pagers(console.reads.stream(STREAM))


def add_pager(
    console: Console, kind: str, name: str, options: dict[str, str], secret: str, secrets: SecretStore
) -> tuple[PagerConfig, bool]:
    """Add a pager; a PagerDuty routing key goes to the keyring. Returns it and whether the key is kept there
    (False: for this session only, as `secrets.notice` explains)."""
    key = check_routing_key(secret) if kind.strip().lower() == "pagerduty" else ""
    known = {name: config.kind for name, config in publishing.destinations(console).items()}
    drafts = pager_settings.add_pager(pagers(console), kind, name, options, known)
    p = drafts[0].payload
    kept = True
    if key:  # kept first: a keyring that refuses it leaves nothing recorded
        kept = connections.give(
            connections.Guarded("pager", p["name"], endpoint(p["kind"], p["options"])), key, secrets
        )
    try:
        console.record(drafts)
    except BaseException:
        secrets.delete(f"pager:{p['name']}")
        raise
    return pagers(console)[p["name"]], kept


def guarded(console: Console, config: PagerConfig) -> connections.Guarded:
    """A PagerDuty pager's routing key, bound to where its settings send it (see app/connections)."""
    return connections.Guarded(
        "pager",
        config.name,
        endpoint(config.kind, config.options),
        connections.seen_in(console.reads.of_kinds(("pager.added",)), "pager", config.name),
    )


def _pagerduty(console: Console, name: str) -> PagerConfig:
    config = pagers(console).get(name)
    if config is None:
        raise DomainError(f"No pager called {name}. `commander pager list` shows them.")
    if config.kind != "pagerduty":
        raise DomainError(
            f"{name} posts through a chat destination and has no secret of its own: give the "
            f"destination its secret instead."
        )
    return config


def set_key(console: Console, name: str, secret: str, secrets: SecretStore) -> bool:
    """Give this computer the routing key of a PagerDuty pager added elsewhere (or again, for a new address)."""
    return connections.give(guarded(console, _pagerduty(console, name)), check_routing_key(secret), secrets)


def trust(console: Console, name: str, secrets: SecretStore) -> tuple[str, str]:
    """Confirm the address the pager's settings name now: its routing key here is sent there."""
    return connections.trust(guarded(console, _pagerduty(console, name)), secrets)


def _routing_key(console: Console, config: PagerConfig, secrets: SecretStore) -> tuple[str | None, str]:
    """The routing key, or None and why it is not sent ("" when this computer has none)."""
    try:
        return connections.bound_secret(guarded(console, config), secrets), ""
    except DomainError as held:
        return None, str(held)


def remove_pager(console: Console, name: str, secrets: SecretStore) -> None:
    console.record(pager_settings.remove_pager(pagers(console), name))
    secrets.delete(f"pager:{name}")


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
        f"{state.title}. Reply here when you are on it."
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
