"""Publishing an update: the team's destinations, their secrets in the keyring, and one send that is
written as events first (queued), then delivered concurrently, then recorded (delivered or failed)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import httpx

from commander.app.console import Console
from commander.app.setup import connections
from commander.app.setup.services import Services
from commander.app.updates.templates import preview, template
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event
from commander.domain.updates import deliveries
from commander.domain.updates.destinations import FAMILY, KINDS, DestinationConfig, check_options
from commander.integrations.destinations import publisher
from commander.integrations.destinations.base import PREVIEWING, Destination, Outcome, Update
from commander.integrations.destinations.publisher import GAVE_UP, StateListener, publish, publish_each
from commander.integrations.secrets import SecretStore

TEST_UPDATE = Update(
    "TEST",
    "SEV4",
    "test",
    "Commander test message",
    "This is a test from Commander. Nothing is wrong; no action is needed.",
)


def destinations(console: Console) -> dict[str, DestinationConfig]:
    return connections.listed(console, FAMILY)


def add(
    console: Console, kind: str, name: str, options: dict[str, str], secret: str, secrets: SecretStore
) -> tuple[DestinationConfig, bool]:
    """Add a destination; its secret goes to the keyring. Returns it and whether the secret is kept."""
    return connections.add(console, FAMILY, kind, name, options, secret, secrets)


def remove(console: Console, name: str, secrets: SecretStore) -> None:
    connections.remove(console, FAMILY, name, secrets)


def build(console: Console, config: DestinationConfig, secrets: SecretStore) -> Destination:
    check_options(config.kind, config.options)
    return console.services.destination(
        config.kind, config.name, config.options, connections.secret_for(config, secrets)
    )


@dataclass
class Unusable:
    """A destination that cannot be sent to as it stands (its settings are wrong, or this computer has no
    secret for it): its delivery fails at once with the reason, and the others go."""

    name: str
    kind: str
    reason: str
    resumable: bool = False

    async def send(self, client: httpx.AsyncClient, update: Update) -> Outcome:
        return Outcome("failed", self.reason)


def usable(console: Console, config: DestinationConfig, secrets: SecretStore) -> Destination:
    """The destination built, or an `Unusable` one that says why not."""
    try:
        return build(console, config, secrets)
    except DomainError as problem:
        return Unusable(config.name, config.kind, f"not sent to {config.name}: {problem}")


@dataclass(frozen=True)
class Job:
    """One delivery: an update for one destination, keyed by its update.queued event's id."""

    delivery: str
    incident_id: str
    destination: Destination
    update: Update


@dataclass
class Sending:
    """Updates queued for destinations: what `deliver` sends (through `services`) and `finish` records."""

    jobs: list[Job]
    services: Services

    def name(self, delivery: str) -> str:
        return next(job.destination.name for job in self.jobs if job.delivery == delivery)


def prepare(console: Console, incident_id: str, template_key: str, names: list[str], secrets: SecretStore) -> Sending:
    """Check everything, then write `update.queued` per destination: before anything leaves, so a crash
    mid-send leaves "queued" on the timeline, never silence."""
    known = destinations(console)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise DomainError(f"No destination called {', '.join(unknown)}. Known: {', '.join(known) or 'none'}.")
    if not names:
        raise DomainError("Choose at least one destination.")
    built = [usable(console, known[name], secrets) for name in dict.fromkeys(names)]
    template(console, template_key)  # an unknown key is refused before anything is queued
    text = preview(console, incident_id, template_key)
    queued = console.perform(
        incident_id, lambda state: deliveries.queue(state, [d.name for d in built], template_key, text)
    )
    return Sending(
        [_job(console, event, destination) for event, destination in zip(queued, built, strict=True)],
        console.services,
    )


def _job(console: Console, queued: Event, destination: Destination, *, resumed: bool = False) -> Job:
    incident_id = queued.stream.removeprefix("incident:")
    state = console.state(incident_id)
    update = Update(
        state.reference,
        state.severity,
        state.status.value,
        state.title,
        queued.payload["text"],
        delivery=queued.id,
        remote_id=_remote_id(console, incident_id, destination.name),
        services=tuple(state.services),
        resumed=resumed,
        summary=state.summary,
    )
    return Job(queued.id, incident_id, destination, update)


SECRET_SHOWN = "•••• (secret, in the keyring)"
_PREVIEW_ANSWER = {
    "ok": True,
    "id": "preview",
    "ts": "0",
    "event_id": "$preview",
    "data": {"id": "preview"},
    "incident": {"id": "preview"},
    "room_id": "!preview:preview",
}


def what_goes_where(
    console: Console, incident_id: str | None, template_key: str, name: str, secrets: SecretStore
) -> str:
    """Exactly what `name` would be sent for this update, request by request (method, address, body),
    with the secret masked; nothing leaves the machine: the requests go to a recorder, not the network."""
    known = destinations(console)
    if name not in known:
        raise DomainError(f"No destination called {name}. Known: {', '.join(known) or 'none'}.")
    config = known[name]
    destination = build(console, config, secrets)
    secret = secrets.get(config.secret_name) or ""
    text = preview(console, incident_id, template_key)
    if incident_id is None:
        update = Update("INC-SAMPLE", "SEV2", "investigating", "Sample incident", text, delivery="preview")
    else:
        state = console.state(incident_id)
        update = Update(
            state.reference,
            state.severity,
            state.status.value,
            state.title,
            text,
            delivery="preview",
            remote_id=_remote_id(console, incident_id, name),
            services=tuple(state.services),
            summary=state.summary,
        )
    recorded: list[httpx.Request] = []

    def recorder(request: httpx.Request) -> httpx.Response:
        recorded.append(request)
        return httpx.Response(200, json=_PREVIEW_ANSWER)

    async def run() -> None:
        token = PREVIEWING.set(True)
        try:
            async with httpx.AsyncClient(transport=httpx.MockTransport(recorder)) as client:
                await destination.send(client, update)
        finally:
            PREVIEWING.reset(token)

    asyncio.run(run())

    def masked(value: str) -> str:
        return value.replace(secret, SECRET_SHOWN) if secret else value

    lines = [f"{name} ({config.kind})"]
    for request in recorded:
        lines.append(f"{request.method} {masked(str(request.url))}")
        for header in ("authorization", "x-cachet-token"):
            if header in request.headers:
                lines.append(f"{header}: {SECRET_SHOWN}")
        body = request.content.decode("utf-8", "replace")
        with contextlib.suppress(ValueError):  # not JSON: shown as it is
            body = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
        lines.append(masked(body))
    return "\n".join(lines)


def open_on_status_pages(console: Console, incident_id: str) -> list[str]:
    """The status page destinations where this incident has a page incident and the last update sent
    there was not the resolution: they still show it open."""
    known = destinations(console)
    still_open: dict[str, bool] = {}
    queued_text: dict[str, str] = {}
    for event in console.view(incident_id).events:
        if event.kind == "update.queued":
            queued_text[event.id] = event.payload["template"]
        elif event.kind == "update.delivered":
            name = event.payload["destination"]
            config = known.get(name)
            if config is not None and KINDS.get(config.kind) is not None and KINDS[config.kind].status_page:
                still_open[name] = queued_text.get(event.payload["delivery"]) != "resolution"
    return [name for name, is_open in still_open.items() if is_open]


def _remote_id(console: Console, incident_id: str, name: str) -> str | None:
    """What this destination last created for this incident (a status page's incident), if anything."""
    found = None
    for event in console.view(incident_id).events:
        if event.kind == "update.delivered" and event.payload["destination"] == name and event.payload.get("remote_id"):
            found = event.payload["remote_id"]
    return found


def deliver(
    sending: Sending,
    *,
    on_state: StateListener = lambda name, state, detail: None,
    timeout: float = 10.0,
    deadline: float | None = None,
) -> dict[str, Outcome]:
    """Send every job at once, each retried until `deadline` seconds (publisher.DELIVERY_DEADLINE unless
    given) have passed; outcomes by delivery id. Touches no store: safe on a worker thread."""

    async def run() -> dict[str, Outcome]:
        async with sending.services.http(timeout) as client:
            return await publish_each(
                [(job.delivery, job.destination, job.update) for job in sending.jobs],
                client=client,
                on_state=on_state,
                deadline=publisher.DELIVERY_DEADLINE if deadline is None else deadline,
            )

    return asyncio.run(run())


def finish(console: Console, sending: Sending, outcomes: dict[str, Outcome]) -> None:
    """Record what each delivery came to, on its incident's timeline."""
    results: dict[str, list[deliveries.Result]] = {}
    for job in sending.jobs:
        outcome = outcomes[job.delivery]
        results.setdefault(job.incident_id, []).append(
            deliveries.Result(
                job.delivery,
                job.destination.name,
                outcome.state == "delivered",
                "" if outcome.state == "delivered" else outcome.detail,
                outcome.remote_id,
                outcome.shortened,
            )
        )
    _record(console, results)


def _record(console: Console, results: dict[str, list[deliveries.Result]]) -> None:
    for incident_id, found in results.items():
        console.perform(incident_id, partial(deliveries.record, results=found))


def send_update(
    console: Console,
    incident_id: str,
    template_key: str,
    names: list[str],
    secrets: SecretStore,
    *,
    on_state: StateListener = lambda name, state, detail: None,
    timeout: float = 10.0,
) -> dict[str, Outcome]:
    """Queue, deliver and record; outcomes by destination name."""
    sending = prepare(console, incident_id, template_key, names, secrets)
    outcomes = deliver(sending, on_state=on_state, timeout=timeout)
    finish(console, sending, outcomes)
    return {sending.name(delivery): outcome for delivery, outcome in outcomes.items()}


# -- resuming after Commander was closed mid-send, or after a delivery gave up ---------------------

RESUME_WITHIN = timedelta(hours=1)  # older than this, an update is stale: ask rather than send


@dataclass(frozen=True)
class Pending:
    """An update this console queued and never recorded an outcome for (it was closed or killed
    mid-send), or whose delivery gave up when its deadline passed (`gave_up` has the reason)."""

    queued: Event
    incident_id: str
    reference: str
    destination: str
    kind: str | None  # None when the destination was removed since
    safe: bool  # resending cannot post twice (the protocol deduplicates, or we check first)
    stale: bool  # queued longer ago than RESUME_WITHIN
    gave_up: str = ""

    @property
    def automatic(self) -> bool:
        return self.safe and not self.stale and self.kind is not None

    def describe(self) -> str:
        where = f"{self.reference} to {self.destination}"
        if self.kind is None:
            return f"{where}: the destination was removed."
        why = f"{self.gave_up}; " if self.gave_up else ""
        if not self.safe:
            return (
                f"{where}: {why}{self.destination} ({self.kind}) cannot tell Commander whether it arrived, "
                f"so sending it again may post it twice."
            )
        return f"{where}: {why}queued {'over an hour' if self.stale else 'less than an hour'} ago; safe to resend."


def pending(console: Console, secrets: SecretStore | None = None) -> list[Pending]:
    """Updates this console queued in open incidents without a delivered or failed outcome, and those
    whose last outcome is a delivery that gave up (the service kept asking to wait, or was down)."""
    known = destinations(console)
    now = console.now()
    queued: dict[str, Event] = {}
    gave_up: dict[str, str] = {}
    for event in console.reads.of_kinds(("update.queued", "update.delivered", "update.failed")):
        if event.kind == "update.queued":
            if event.origin == console.console_id:
                queued[event.id] = event
        elif (
            event.kind == "update.failed"
            and event.payload["delivery"] in queued
            and event.payload["reason"].startswith(GAVE_UP)
        ):
            gave_up[event.payload["delivery"]] = event.payload["reason"]
        else:
            queued.pop(event.payload["delivery"], None)
            gave_up.pop(event.payload["delivery"], None)
    if not queued:
        return []
    open_ones = {summary.id: summary for summary in console.incidents(include_closed=False)}
    found: list[Pending] = []
    for event in queued.values():
        summary = open_ones.get(event.stream.removeprefix("incident:"))
        if summary is None:
            continue  # the incident is closed since: an update for it is moot
        config = known.get(event.payload["destination"])
        safe = False
        if config is not None and secrets is not None and secrets.get(config.secret_name) is not None:
            safe = usable(console, config, secrets).resumable
        found.append(
            Pending(
                event,
                summary.id,
                summary.reference,
                event.payload["destination"],
                config.kind if config else None,
                safe,
                now - event.occurred_at > RESUME_WITHIN,
                gave_up.get(event.id, ""),
            )
        )
    return found


def resume(console: Console, items: list[Pending], secrets: SecretStore) -> Sending:
    """The pending updates made ready to send again, with the same delivery ids (Matrix's txnId; the
    status pages look for what already landed before creating anything). One whose destination cannot
    be used as it stands fails on its own when delivered."""
    known = destinations(console)
    jobs = []
    for item in items:
        if item.kind is None or item.destination not in known:
            raise DomainError(f"{item.destination} was removed: it cannot be sent again. Mark it not sent.")
        jobs.append(_job(console, item.queued, usable(console, known[item.destination], secrets), resumed=True))
    return Sending(jobs, console.services)


def retry(console: Console, deliveries: list[str], secrets: SecretStore) -> Sending:
    """Deliveries that failed (by their update.queued ids) made ready to send again, as they were queued:
    the same text and delivery id, so a destination that deduplicates posts once."""
    known = destinations(console)
    wanted = set(deliveries)
    delivered = {event.payload["delivery"] for event in console.reads.of_kinds(("update.delivered",))}
    if wanted <= delivered:
        raise DomainError("That update has been delivered since: there is nothing to send again.")
    jobs = []
    for event in console.reads.of_kinds(("update.queued",)):
        if event.id not in wanted or event.id in delivered:
            continue
        name = event.payload["destination"]
        if name not in known:
            raise DomainError(f"{name} was removed since: add it again to send there.")
        jobs.append(_job(console, event, usable(console, known[name], secrets), resumed=True))
    if not jobs:
        raise DomainError("Those updates are no longer in the log: send a new update instead.")
    return Sending(jobs, console.services)


def abandon(console: Console, items: list[Pending]) -> None:
    """Record that pending updates will not be sent again, saying that they may have arrived."""
    results: dict[str, list[deliveries.Result]] = {}
    for item in items:
        reason = (
            "not sent again: Commander was closed while sending it, so it may or may not have reached "
            + item.destination
            if not item.gave_up
            else f"not sent again after the delivery ran out of time ({item.gave_up})"
        )
        results.setdefault(item.incident_id, []).append(
            deliveries.Result(item.queued.id, item.destination, False, reason)
        )
    _record(console, results)


def test_destination(console: Console, name: str, secrets: SecretStore, *, timeout: float = 10.0) -> Outcome:
    known = destinations(console)
    if name not in known:
        raise DomainError(f"No destination called {name}. Known: {', '.join(known) or 'none'}.")
    destination = build(console, known[name], secrets)

    async def run() -> Outcome:
        async with console.services.http(timeout) as client:
            return (await publish([destination], TEST_UPDATE, client=client, attempts=2))[name]

    return asyncio.run(run())
