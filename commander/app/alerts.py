"""Alert triage: the team's sources, reading what fires, declaring from alerts, attaching them, marking
noise, silencing for an incident and expiring those silences, and ingesting pushed alerts.

Functions that talk to a source (`fetch_all`, `create_silences`, `expire_silences`, `list_silences`) touch
no store writes, so a window runs them on a worker thread and records the outcome on its own thread
(`record_silences`, `record_expired`). `silence_for` and `expire` do both, for the command line.
A source that cannot be read is reported down with the reason, never as "no alerts".
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from commander.app.console import Console
from commander.app.setup import connections
from commander.app.setup.services import Services
from commander.domain.alerts import triage
from commander.domain.alerts.alerts import (
    FILE_SOURCE,
    Alert,
    AlertMapping,
    Proposal,
    from_api,
    known_time,
    parse_pushed,
    propose,
    within_limits,
)
from commander.domain.alerts.triage import STREAM, AlertSource, SilencePlan
from commander.domain.core.clock import to_ms
from commander.domain.core.connections import endpoint, endpoints_seen, insecure
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, EventDraft, stream_entity
from commander.domain.core.ids import new_id
from commander.domain.incident import decisions
from commander.domain.incident.state import IncidentState, SilenceRecord
from commander.integrations.alertmanager import Alertmanager, AlertmanagerDown
from commander.integrations.secrets import SecretStore

if TYPE_CHECKING:
    import httpx

TIMEOUT = 10.0  # seconds per request; a source slower than this is shown down, not waited for


@dataclass(frozen=True)
class AlertsResult:
    """What one source said: its firing alerts, or down with the reason."""

    source: str
    alerts: list[Alert]
    state: str  # "up" or "down"
    error: str
    at: datetime

    @property
    def up(self) -> bool:
        return self.state == "up"

    def describe(self) -> str:
        return "up" if self.up else f"down: {self.error}"


def sources(console: Console) -> dict[str, AlertSource]:
    return triage.fold_sources(console.reads.stream(STREAM))


def add_source(
    console: Console, kind: str, name: str, url: str, options: dict[str, str], secret: str, secrets: SecretStore
) -> tuple[AlertSource, bool]:
    """Add a source; its secret (when it has auth) goes to the keyring. Returns it and whether the secret
    is kept beyond this session."""
    auth = options.get("auth", "none").strip() or "none"
    if auth != "none" and not secret.strip():
        raise DomainError(f"No secret given: {auth} auth needs {'the password' if auth == 'basic' else 'the token'}.")
    drafts = triage.add_source(sources(console), kind, name, url, options, console.policy)
    p = drafts[0].payload
    kept = True
    if auth != "none":  # kept first: a keyring that refuses it leaves nothing recorded
        problem = insecure({"url": p["url"]})
        if problem:
            raise DomainError(f"{problem} Or use no auth.")
        kept = connections.give(
            connections.Guarded("alert_source", p["name"], endpoint(p["kind"], {"url": p["url"]})), secret, secrets
        )
    try:
        console.record(drafts)
    except BaseException:
        secrets.delete(f"alert_source:{p['name']}")
        raise
    return sources(console)[p["name"]], kept


def guarded(
    console: Console, source: AlertSource, seen: Mapping[str, frozenset[str]] | None = None
) -> connections.Guarded:
    """A source's secret, bound to the address it was given for (see app/connections). `seen`: every source's
    endpoints ever, when the caller read them already (the alerts stream is long: ingested alerts live there)."""
    if seen is None:
        seen = endpoints_seen(console.reads.of_kinds(("alert_source.added",)), "alert_source")
    return connections.Guarded(
        "alert_source", source.name, endpoint(source.kind, {"url": source.url}), seen.get(source.name, frozenset())
    )


def _source(console: Console, name: str) -> AlertSource:
    source = sources(console).get(name)
    if source is None:
        raise DomainError(f"No alert source called {name}. `commander alerts source list` shows them.")
    if source.auth == "none":
        raise DomainError(f"{name} uses no auth: it needs no secret.")
    return source


def set_secret(console: Console, name: str, secret: str, secrets: SecretStore) -> bool:
    """Give this computer the secret of a source the team added elsewhere (or again, for a new address)."""
    return connections.give(guarded(console, _source(console, name)), secret, secrets)


def trust(console: Console, name: str, secrets: SecretStore) -> tuple[str, str]:
    """Confirm the address the source's settings name now: its secret here is sent there."""
    return connections.trust(guarded(console, _source(console, name)), secrets)


def _keys(console: Console, chosen: Sequence[AlertSource], secrets: SecretStore) -> dict[str, tuple[str | None, str]]:
    """Each source's secret ("" without auth), or None and why it is not sent."""
    keys: dict[str, tuple[str | None, str]] = {}
    seen = endpoints_seen(console.reads.of_kinds(("alert_source.added",)), "alert_source")
    for source in chosen:
        if source.auth == "none":
            keys[source.name] = "", ""
            continue
        try:
            secret = connections.bound_secret(guarded(console, source, seen), secrets)
        except DomainError as held:
            keys[source.name] = None, str(held)
        else:
            keys[source.name] = secret, "" if secret is not None else _no_secret(source)
    return keys


def remove_source(console: Console, name: str, secrets: SecretStore) -> None:
    console.record(triage.remove_source(sources(console), name))
    secrets.delete(f"alert_source:{name}")


def mapping_for(console: Console) -> Callable[[str], AlertMapping]:
    """Each source's label mapping (ingested alerts and removed sources: the defaults)."""
    known = sources(console)
    return lambda name: known[name].mapping() if name in known else AlertMapping()


# -- reading ----------------------------------------------------------------------------------------


def fetch_all(
    console: Console, secrets: SecretStore, *, only: str | None = None, timeout: float = TIMEOUT
) -> list[AlertsResult]:
    """Every source's firing alerts (not silenced, not inhibited), read at once; ingested ones as the
    source "file" when there are any. `only` names one source."""
    known = sources(console)
    if only is not None and only not in known and only != FILE_SOURCE:
        raise DomainError(f"No alert source called {only}. `commander alerts source list` shows them.")
    chosen = [s for s in known.values() if only in (None, s.name)]
    keys = _keys(console, chosen, secrets)
    now = console.now()

    services = console.services

    async def run() -> list[AlertsResult]:
        async with services.http(timeout) as client:
            return list(await asyncio.gather(*(_read(services, s, keys[s.name], client, now) for s in chosen)))

    results = asyncio.run(run()) if chosen else []
    if only in (None, FILE_SOURCE):
        ingested = triage.fold_ingested(console.reads.stream(STREAM))
        if ingested or only == FILE_SOURCE:
            results.append(AlertsResult(FILE_SOURCE, ingested, "up", "", now))
    return results


async def _read(
    services: Services, source: AlertSource, key: tuple[str | None, str], client: httpx.AsyncClient, now: datetime
) -> AlertsResult:
    secret, why = key
    if secret is None:
        return AlertsResult(source.name, [], "down", why, now)
    try:
        items = await _manager(services, source, secret, client).alerts(filters=source.filters)
    except AlertmanagerDown as down:
        return AlertsResult(source.name, [], "down", str(down), now)
    # Read alerts are shown, and stored only when attached: one oversize alert is trimmed, never a reason to
    # show the source down (pushed alerts are refused instead; see domain/alerts.py).
    return AlertsResult(source.name, [within_limits(from_api(item, source.name)) for item in items], "up", "", now)


def _manager(services: Services, source: AlertSource, secret: str, client: httpx.AsyncClient) -> Alertmanager:
    return services.alert_source(
        source.url, client, auth=source.auth, user=source.options.get("user", ""), secret=secret
    )


def _no_secret(source: AlertSource) -> str:
    return (
        f"this computer has no {'password' if source.auth == 'basic' else 'token'} for {source.name} (secrets "
        f"stay in each computer's keyring). Give it with `commander alerts source secret {source.name}`."
    )


@contextmanager
def collector_paused() -> Iterator[None]:
    """Reading thousands of alerts makes a few objects each, none in reference cycles; meanwhile the cyclic
    collector, run from this worker, would hold the interpreter lock while it scans the whole heap again
    and again, and the UI thread waits (hundreds of milliseconds for 5,000 alerts; bench/triage.py). It
    resumes, as it was, once the alerts are read and grouped. Console.view pauses it the same way."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def firing(results: Sequence[AlertsResult]) -> list[Alert]:
    return [alert for result in results for alert in result.alerts]


# -- declaring, attaching, noise ----------------------------------------------------------------------


def proposal(console: Console, alerts: list[Alert], mapping: AlertMapping | None = None) -> Proposal:
    chosen: Callable[[str], AlertMapping] = (lambda _: mapping) if mapping is not None else mapping_for(console)
    return propose(alerts, chosen, console.policy, now=console.now())


def declare_from_alerts(
    console: Console,
    alerts: list[Alert],
    mapping: AlertMapping | None = None,
    *,
    form: decisions.Declaration | None = None,
) -> IncidentState:
    """Declare an incident with the alerts attached, in one write. `form` is the person's edit of the
    proposal; without it, the proposal as it stands."""
    if form is None:
        offer = proposal(console, alerts, mapping)
        form = decisions.Declaration(
            title=offer.title,
            severity=offer.severity,
            services=offer.services,
            summary=offer.summary,
            detected_at=offer.detected_at,
        )
    incident_id = new_id(to_ms(console.now()))
    drafts = decisions.declare(incident_id, form, me=console.me.name, policy=console.policy, now=console.now())
    drafts += triage.attached(incident_id, alerts)
    console.record(drafts)
    return console.state(incident_id)


def attach_alerts(console: Console, incident_id: str, alerts: list[Alert]) -> list[Event]:
    return console.perform(incident_id, lambda state: triage.attach(state, alerts))


def mark_noise(console: Console, alerts: list[Alert], reason: str, incident_id: str | None = None) -> list[Event]:
    if incident_id is None:
        return console.record(triage.mark_noise(alerts, reason))
    return console.perform(incident_id, lambda state: triage.mark_noise(alerts, reason, state))


# -- silences ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One silence created or expired in a source, or the reason it was not."""

    source: str
    silence_id: str  # empty when creating failed
    error: str = ""
    plan: SilencePlan | None = None


def plan_silences(
    console: Console, incident_id: str, alerts: list[Alert] | None, minutes: int, comment: str
) -> list[SilencePlan]:
    """What `silence_for` would create, to show for confirmation. No alerts: the incident's attached ones."""
    state = console.state(incident_id)
    chosen = alerts if alerts else triage.attached_alerts(state)
    return triage.plan_silences(state, chosen, minutes=minutes, comment=comment, me=console.me.name, now=console.now())


def create_silences(
    known: Mapping[str, AlertSource],
    plans: Sequence[SilencePlan],
    secrets: SecretStore,
    *,
    services: Services,
    timeout: float = TIMEOUT,
) -> list[Outcome]:
    """Create each planned silence in its source (through `services`, the console's), at once. Touches no
    store: safe on a worker thread."""
    keys = {p.source: _secret(known, p.source, secrets) for p in plans}

    async def one(plan: SilencePlan, client: httpx.AsyncClient) -> Outcome:
        try:
            manager = _manager(services, known[plan.source], keys[plan.source], client)
            silence_id = await manager.create_silence(
                plan.matchers, plan.starts_at, plan.ends_at, created_by=plan.created_by, comment=plan.comment
            )
        except AlertmanagerDown as down:
            return Outcome(plan.source, "", str(down), plan)
        return Outcome(plan.source, silence_id, "", plan)

    async def run() -> list[Outcome]:
        async with services.http(timeout) as client:
            return list(await asyncio.gather(*(one(plan, client) for plan in plans)))

    return asyncio.run(run())


def record_silences(console: Console, incident_id: str, outcomes: Sequence[Outcome]) -> list[str]:
    """Put the created silences on the incident's timeline; then refuse, naming them, if any failed."""
    created = [o for o in outcomes if o.silence_id and o.plan is not None]
    console.perform(
        incident_id,
        lambda state: [
            draft
            for o in created
            if o.plan is not None
            for draft in triage.silence_created(state, o.plan, o.silence_id)
        ],
    )
    _refuse_failures(outcomes, "create the silence")
    return [o.silence_id for o in created]


def silence_for(
    console: Console, incident_id: str, plans: Sequence[SilencePlan], secrets: SecretStore, *, timeout: float = TIMEOUT
) -> list[str]:
    """Create the planned silences (shown to the person first) and record them. Returns their ids."""
    created = create_silences(sources(console), plans, secrets, services=console.services, timeout=timeout)
    return record_silences(console, incident_id, created)


def open_silences(console: Console, incident_id: str) -> list[SilenceRecord]:
    return triage.open_silences(console.state(incident_id), console.now())


def expire_silences(
    known: Mapping[str, AlertSource],
    silences: Sequence[tuple[str, str]],
    secrets: SecretStore,
    *,
    services: Services,
    timeout: float = TIMEOUT,
) -> list[Outcome]:
    """Expire (source, silence id) pairs at once, through `services` (the console's). Touches no store: safe
    on a worker thread."""
    keys = {source: _secret(known, source, secrets) for source, _ in silences}  # refused before anything leaves

    async def one(source: str, silence_id: str, client: httpx.AsyncClient) -> Outcome:
        try:
            await _manager(services, known[source], keys[source], client).expire_silence(silence_id)
        except AlertmanagerDown as down:
            return Outcome(source, silence_id, str(down))
        return Outcome(source, silence_id)

    async def run() -> list[Outcome]:
        async with services.http(timeout) as client:
            return list(await asyncio.gather(*(one(source, silence_id, client) for source, silence_id in silences)))

    return asyncio.run(run())


def record_expired(console: Console, outcomes: Sequence[Outcome]) -> None:
    """Put each expired silence on the timeline of the incident it was created for (when Commander made
    it); then refuse, naming them, if any failed."""
    owners = _silence_owners(console)
    for outcome in outcomes:
        incident_id = owners.get(outcome.silence_id)
        if not outcome.error and incident_id is not None:
            console.perform(incident_id, partial(_expired, source=outcome.source, silence_id=outcome.silence_id))
    _refuse_failures(outcomes, "expire the silence")


def _expired(state: IncidentState, source: str, silence_id: str) -> list[EventDraft]:
    known = state.silences.get(silence_id)
    if known is None or known.expired:  # expired twice: once on the timeline
        return []
    return triage.silence_expired(state, source, silence_id)


def expire(
    console: Console, silence_id: str, secrets: SecretStore, *, source: str | None = None, timeout: float = TIMEOUT
) -> str:
    """Expire one silence; its source is the one Commander created it in, unless given. Returns the source."""
    found = _silence_sources(console)
    where = source or found.get(silence_id)
    if where is None:
        raise DomainError(f"Commander did not create silence {silence_id}: name its source with --source.")
    expired = expire_silences(
        sources(console), [(where, silence_id)], secrets, services=console.services, timeout=timeout
    )
    record_expired(console, expired)
    return where


@dataclass(frozen=True)
class SilenceInfo:
    """A silence as its source lists it, with the incident Commander created it for (if it did)."""

    source: str
    silence_id: str
    state: str  # active, pending, expired
    matchers: list[str]
    ends_at: str
    created_by: str
    comment: str
    incident: str  # the reference, or ""


def list_silences(
    console: Console, secrets: SecretStore, *, only: str | None = None, timeout: float = TIMEOUT
) -> tuple[list[SilenceInfo], dict[str, str]]:
    """Silences in every source (or one), and the reason for each source that could not be read."""
    known = sources(console)
    if only is not None and only not in known:
        raise DomainError(f"No alert source called {only}. `commander alerts source list` shows them.")
    chosen = [s for s in known.values() if only in (None, s.name)]
    keys = _keys(console, chosen, secrets)
    owners = _silence_owners(console)
    references = {summary.id: summary.reference for summary in console.incidents()}

    async def one(source: AlertSource, client: httpx.AsyncClient) -> tuple[str, list[SilenceInfo] | str]:
        secret, why = keys[source.name]
        if secret is None:
            return source.name, why
        try:
            items = await _manager(console.services, source, secret, client).silences()
        except AlertmanagerDown as down:
            return source.name, str(down)
        return source.name, [
            _silence_info(source.name, item, references.get(owners.get(str(item.get("id")), ""), "")) for item in items
        ]

    async def run() -> list[tuple[str, list[SilenceInfo] | str]]:
        async with console.services.http(timeout) as client:
            return list(await asyncio.gather(*(one(s, client) for s in chosen)))

    found: list[SilenceInfo] = []
    down: dict[str, str] = {}
    for name, answer in asyncio.run(run()) if chosen else []:
        if isinstance(answer, str):
            down[name] = answer
        else:
            found += answer
    order = {"active": 0, "pending": 1, "expired": 2}
    found.sort(key=lambda s: (order.get(s.state, 3), s.ends_at))
    return found, down


def _silence_info(source: str, item: Mapping[str, object], incident: str) -> SilenceInfo:
    status = item.get("status")
    state = str(status.get("state", "")) if isinstance(status, Mapping) else ""
    matchers = []
    listed = item.get("matchers")
    for m in listed if isinstance(listed, list) else []:
        if isinstance(m, Mapping):
            matchers.append(
                str(
                    triage.Matcher(
                        str(m.get("name", "")),
                        str(m.get("value", "")),
                        bool(m.get("isRegex")),
                        bool(m.get("isEqual", True)),
                    )
                )
            )
    return SilenceInfo(
        source,
        str(item.get("id", "")),
        state,
        matchers,
        str(item.get("endsAt", "")),
        str(item.get("createdBy", "")),
        str(item.get("comment", "")),
        incident,
    )


def _silence_owners(console: Console) -> dict[str, str]:
    """Silence id to the incident Commander created it for."""
    return {e.payload["silence_id"]: stream_entity(e.stream)[1] for e in console.reads.of_kinds(("silence.created",))}


def _silence_sources(console: Console) -> dict[str, str]:
    return {e.payload["silence_id"]: e.payload["source"] for e in console.reads.of_kinds(("silence.created",))}


def _secret(known: Mapping[str, AlertSource], name: str, secrets: SecretStore) -> str:
    source = known.get(name)
    if source is None:
        raise DomainError(f"No alert source called {name} any more: it was removed. Add it again to silence there.")
    if source.auth == "none":
        return ""
    # No store here (a worker thread): the history of re-adds is not read, so a secret from before bindings
    # is bound on first use; reading alerts, which comes first, holds one back when the name was re-added.
    target = connections.Guarded("alert_source", source.name, endpoint(source.kind, {"url": source.url}))
    secret = connections.bound_secret(target, secrets)
    if secret is None:
        raise DomainError(f"Cannot reach {name}: {_no_secret(source)}")
    return secret


def _refuse_failures(outcomes: Sequence[Outcome], what: str) -> None:
    failed = [o for o in outcomes if o.error]
    if failed:
        done = len(outcomes) - len(failed)
        raise DomainError(
            f"Could not {what} in "
            + "; ".join(f"{o.source}: {o.error}" for o in failed)
            + (f" ({done} other{'s' if done != 1 else ''} done and recorded)." if done else "")
        )


# -- ingesting pushed alerts --------------------------------------------------------------------------


@dataclass(frozen=True)
class Ingested:
    firing: int
    resolved: int


def ingest(console: Console, text: str) -> Ingested:
    """Alertmanager webhook JSON (version 4) or PagerDuty Events v2 JSON, one message or a list of them,
    stored as alerts of the source "file" (`alert.ingested` in `settings:alerts`): resolved ones end the
    alert with the same fingerprint (a PagerDuty dedup_key)."""
    now = console.now()  # PagerDuty takes an event without a timestamp as happening when it arrives
    alerts = [a if known_time(a.starts_at) else replace(a, starts_at=now) for a in parse_pushed(text, FILE_SOURCE)]
    console.record(triage.ingested(alerts))
    firing_now = sum(1 for alert in alerts if alert.firing)
    return Ingested(firing_now, len(alerts) - firing_now)
