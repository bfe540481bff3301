"""Action items across incidents: create and change them, list them (overdue first), push one to a
tracker and pull the trackers' status back.

Items are read with one scan of the log for their four kinds (`console.reads.of_kinds`), so a list never
opens every incident. Pushing and refreshing come in three steps, so the window can run the network part
on a worker thread: `prepare_…` checks and builds (reads the store), `send_…`/`check_…` talk to the
tracker (no store), `finish_…` records what came back (writes the store).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from commander.app.console import Console
from commander.app.setup import connections
from commander.app.setup.services import Services
from commander.domain.actions.items import (
    KINDS,
    ActionFilter,
    ActionItem,
    NewAction,
    TrackerLink,
    create_action,
    find_action,
    fold_actions,
    ordered,
    record_push,
    record_refresh,
    update_action,
)
from commander.domain.actions.trackers import FAMILY, TrackerConfig, add_tracker
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, EventDraft
from commander.domain.incident.state import IncidentState
from commander.integrations.secrets import SecretStore
from commander.integrations.trackers.base import (
    Created,
    ExternalStatus,
    Issue,
    Tracker,
    TrackerRefused,
    WaitListener,
    retrying,
)

if TYPE_CHECKING:
    import httpx

TIMEOUT = 15.0


def items(console: Console) -> dict[str, ActionItem]:
    return fold_actions(console.reads.of_kinds(KINDS))


def today(console: Console) -> date:
    return console.now().astimezone(console.zone).date()


def listing(console: Console, wanted: ActionFilter | None = None) -> list[ActionItem]:
    """The items the filter lets through (open ones by default), overdue first."""
    wanted = wanted or ActionFilter()
    day = today(console)
    return ordered((item for item in items(console).values() if wanted.matches(item, day)), day)


def find(console: Console, reference: str) -> ActionItem:
    return find_action(items(console), reference)


def create(console: Console, incident_id: str, form: NewAction) -> ActionItem:
    """A new item in the incident's stream (the postmortem and the timeline make theirs here too)."""
    written = console.perform(
        incident_id, lambda state: create_action(state, form, now=console.now(), zone=console.zone)
    )
    return fold_actions(written)[written[0].id]


def update(console: Console, reference: str, **changes: object) -> ActionItem:
    """Change fields (title, owner, due, priority, type, finding, team, status, reason)."""
    item = find(console, reference)
    console.perform(item.incident_id, lambda state: update_action(item, changes))
    return items(console)[item.id]


def done(console: Console, reference: str) -> ActionItem:
    return update(console, reference, status="done")


def wont_do(console: Console, reference: str, reason: str) -> ActionItem:
    return update(console, reference, status="wont_do", reason=reason)


def reopen(console: Console, reference: str) -> ActionItem:
    return update(console, reference, status="open")


# -- trackers --------------------------------------------------------------------------------------


def trackers(console: Console) -> dict[str, TrackerConfig]:
    return connections.listed(console, FAMILY)


def add(
    console: Console, kind: str, name: str, options: dict[str, str], secret: str, secrets: SecretStore
) -> tuple[TrackerConfig, bool]:
    """Add a tracker; its secret goes to the keyring. Returns it and whether the keyring kept the secret."""
    add_tracker(trackers(console), kind, name, options)  # refuses what a kind's own rules refuse (GitHub's repo)
    return connections.add(console, FAMILY, kind, name, options, secret, secrets)


def remove(console: Console, name: str, secrets: SecretStore) -> None:
    connections.remove(console, FAMILY, name, secrets)


def build(console: Console, config: TrackerConfig, secrets: SecretStore) -> Tracker:
    return console.services.tracker(config.kind, config.name, config.options, connections.secret_for(config, secrets))


def _tracker(console: Console, name: str) -> TrackerConfig:
    known = trackers(console)
    if name not in known:
        hint = f"Known: {', '.join(known)}." if known else "Add one with `commander tracker add KIND NAME`."
        raise DomainError(f"No tracker called {name}. {hint}")
    return known[name]


# -- pushing one item ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Push:
    """An item made ready for one tracker: what `send_push` sends (through `services`) and `finish_push`
    records."""

    item: ActionItem
    tracker: Tracker
    issue: Issue
    services: Services


def prepare_push(
    console: Console, reference: str, tracker_name: str, secrets: SecretStore, *, again: bool = False
) -> Push:
    item = find(console, reference)
    config = _tracker(console, tracker_name)
    if not item.is_open:
        raise DomainError(f"{item.reference} is {item.status_label}: reopen it before pushing it to a tracker.")
    pushed = item.links.get(config.name)
    if pushed is not None and not again:
        raise DomainError(
            f"{item.reference} is already in {config.name} as {pushed.key} ({pushed.url}). "
            f"Push it again only to make a second issue (--again)."
        )
    return Push(item, build(console, config, secrets), issue_for(console, item), console.services)


def issue_for(console: Console, item: ActionItem) -> Issue:
    """The item as an issue: its title, what it answers, and the way back to the incident."""
    state = console.state(item.incident_id)
    facts = [
        f"Type: {item.type}",
        f"Priority: {item.priority}",
        f"Owner: {item.owner or 'not set'}",
        f"Due: {item.due.isoformat()}",
    ] + ([f"Team: {item.team}"] if item.team else [])
    paragraphs = [f"Action item from incident {state.reference}: {state.title}", " · ".join(facts)]
    if item.finding:
        paragraphs.append(f"Finding: {item.finding}")
    paragraphs.append(f"Pushed from Commander ({item.reference}); Commander reads this issue's status back.")
    return Issue(item.title, tuple(paragraphs), ("commander", state.reference, f"action-{item.type}"))


def send_push(push: Push, *, timeout: float = TIMEOUT, on_wait: WaitListener = lambda detail: None) -> Created:
    """Create the issue (retrying 429 and 503 as asked). Touches no store: safe on a worker thread."""

    async def run() -> Created:
        async with push.services.http(timeout) as client:
            return await retrying(lambda: push.tracker.create(client, push.issue), on_wait=on_wait)

    return asyncio.run(run())


def finish_push(console: Console, push: Push, created: Created) -> ActionItem:
    item = push.item
    console.perform(item.incident_id, lambda state: record_push(item, push.tracker.name, created.key, created.url))
    return items(console)[push.item.id]


def push(
    console: Console,
    reference: str,
    tracker_name: str,
    secrets: SecretStore,
    *,
    again: bool = False,
    timeout: float = TIMEOUT,
    on_wait: WaitListener = lambda detail: None,
) -> tuple[ActionItem, Created]:
    prepared = prepare_push(console, reference, tracker_name, secrets, again=again)
    created = send_push(prepared, timeout=timeout, on_wait=on_wait)
    return finish_push(console, prepared, created), created


# -- refreshing the trackers' status ---------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One issue to ask about, through `services`; `tracker` is None when it cannot be asked (the problem
    says why)."""

    item: ActionItem
    link: TrackerLink
    tracker: Tracker | None
    services: Services
    problem: str = ""


@dataclass(frozen=True)
class Checked:
    check: Check
    status: ExternalStatus | None
    problem: str = ""


def prepare_refresh(console: Console, secrets: SecretStore, reference: str | None = None) -> list[Check]:
    """Every pushed issue of the open items (or of the one item named)."""
    chosen = [find(console, reference)] if reference else [item for item in items(console).values() if item.is_open]
    known = trackers(console)
    built: dict[str, Tracker | str] = {}
    checks = []
    for item in chosen:
        for link in item.links.values():
            if link.tracker not in built:
                try:
                    if link.tracker not in known:
                        raise DomainError(f"the tracker {link.tracker} was removed; add it again to follow its issues")
                    built[link.tracker] = build(console, known[link.tracker], secrets)
                except DomainError as problem:
                    built[link.tracker] = str(problem)
            tracker = built[link.tracker]
            if isinstance(tracker, str):
                checks.append(Check(item, link, None, console.services, tracker))
            else:
                checks.append(Check(item, link, tracker, console.services))
    if reference and not checks:
        raise DomainError(f"{chosen[0].reference} has not been pushed to a tracker yet: nothing to refresh.")
    return checks


def check_trackers(checks: list[Check], *, timeout: float = TIMEOUT) -> list[Checked]:
    """Ask every tracker at once. Touches no store: safe on a worker thread."""

    async def one(client: httpx.AsyncClient, check: Check) -> Checked:
        if check.tracker is None:
            return Checked(check, None, check.problem)
        tracker = check.tracker
        try:
            status = await retrying(lambda: tracker.status(client, check.link.key))
        except TrackerRefused as refused:
            return Checked(check, None, str(refused))
        return Checked(check, status)

    async def run() -> list[Checked]:
        async with checks[0].services.http(timeout) as client:
            return list(await asyncio.gather(*(one(client, check) for check in checks)))

    return asyncio.run(run()) if checks else []


def finish_refresh(console: Console, results: list[Checked]) -> list[Event]:
    """Record what changed, on each item's incident (a refresh that finds nothing new writes nothing)."""
    found: dict[str, list[tuple[ActionItem, str, ExternalStatus]]] = {}
    for result in results:
        if result.status is not None:
            item = result.check.item
            found.setdefault(item.incident_id, []).append((item, result.check.link.tracker, result.status))
    written: list[Event] = []
    for incident_id, changes in found.items():
        written += console.perform(incident_id, partial(_refreshed, changes=changes))
    return written


def _refreshed(state: IncidentState, changes: list[tuple[ActionItem, str, ExternalStatus]]) -> list[EventDraft]:
    """The decision for one incident's items whose issues changed."""
    return [
        draft for item, tracker, status in changes for draft in record_refresh(item, tracker, status.name, status.done)
    ]


def refresh(
    console: Console, secrets: SecretStore, reference: str | None = None, *, timeout: float = TIMEOUT
) -> list[Checked]:
    results = check_trackers(prepare_refresh(console, secrets, reference), timeout=timeout)
    finish_refresh(console, results)
    return results
