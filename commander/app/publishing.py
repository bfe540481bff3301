"""Publishing an update: the team's destinations, their secrets in the keyring, and one send that is
written as events first (queued), then delivered concurrently, then recorded (delivered or failed)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from commander.app.console import Console
from commander.app.updates import preview, template
from commander.domain.destinations import (
    KINDS,
    STREAM,
    DestinationConfig,
    add_destination,
    fold_destinations,
    remove_destination,
)
from commander.domain.errors import DomainError
from commander.domain.events import EventDraft, incident_stream
from commander.integrations.destinations import make
from commander.integrations.destinations.base import Destination, Outcome, Update
from commander.integrations.destinations.publisher import StateListener, publish
from commander.integrations.secrets import SecretStore

TEST_UPDATE = Update("TEST", "SEV4", "test", "Commander test message",
                     "This is a test from Commander. Nothing is wrong; no action is needed.")


def destinations(console: Console) -> dict[str, DestinationConfig]:
    return fold_destinations(console.reads.stream(STREAM))


def add(console: Console, kind: str, name: str, options: dict[str, str], secret: str,
        secrets: SecretStore) -> tuple[DestinationConfig, bool]:
    """Add a destination; its secret goes to the keyring. Returns it and whether the secret is kept."""
    found = KINDS.get(kind.strip().lower())
    if found and not secret.strip():
        raise DomainError(f"No secret given: a {found.key} destination needs {found.secret}.")
    console.record(add_destination(destinations(console), kind, name, options))
    config = destinations(console)[name.strip()]
    return config, secrets.put(config.secret_name, secret.strip())


def remove(console: Console, name: str, secrets: SecretStore) -> None:
    console.record(remove_destination(destinations(console), name))
    secrets.delete(f"destination:{name}")


def build(config: DestinationConfig, secrets: SecretStore) -> Destination:
    secret = secrets.get(config.secret_name)
    if secret is None:
        raise DomainError(f"This computer has no secret for {config.name} (secrets stay in each computer's "
                          f"keyring). Add it again here with `commander destination add`.")
    return make(config.kind, config.name, config.options, secret)


@dataclass
class Sending:
    """An update queued for destinations: what `deliver` sends and `finish` records."""

    incident_id: str
    update: Update
    destinations: list[Destination]
    deliveries: dict[str, str]  # destination name -> the id of its update.queued event


def prepare(console: Console, incident_id: str, template_key: str, names: list[str],
            secrets: SecretStore) -> Sending:
    """Check everything, then write `update.queued` per destination: before anything leaves, so a crash
    mid-send leaves "queued" on the timeline, never silence."""
    known = destinations(console)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise DomainError(f"No destination called {', '.join(unknown)}. Known: {', '.join(known) or 'none'}.")
    if not names:
        raise DomainError("Choose at least one destination.")
    built = [build(known[name], secrets) for name in names]
    template(template_key)  # an unknown key is refused before anything is queued
    text = preview(console, incident_id, template_key)
    state = console.state(incident_id)
    queued = console.record([EventDraft(incident_stream(incident_id), "update.queued",
                                        {"destination": d.name, "template": template_key, "text": text})
                             for d in built])
    update = Update(state.reference, state.severity, state.status.value, state.title, text)
    return Sending(incident_id, update, built, {e.payload["destination"]: e.id for e in queued})


def deliver(sending: Sending, *, on_state: StateListener = lambda name, state, detail: None,
            timeout: float = 10.0) -> dict[str, Outcome]:
    """Send to every destination at once. Touches no store: safe on a worker thread."""

    async def run() -> dict[str, Outcome]:
        async with httpx.AsyncClient(timeout=timeout) as client:
            return await publish(sending.destinations, sending.update, client=client, on_state=on_state)

    return asyncio.run(run())


def finish(console: Console, sending: Sending, outcomes: dict[str, Outcome]) -> None:
    stream = incident_stream(sending.incident_id)
    console.record([EventDraft(stream, "update.delivered", {"delivery": sending.deliveries[name],
                                                            "destination": name})
                    if outcome.state == "delivered" else
                    EventDraft(stream, "update.failed", {"delivery": sending.deliveries[name], "destination": name,
                                                         "reason": outcome.detail})
                    for name, outcome in outcomes.items()])


def send_update(console: Console, incident_id: str, template_key: str, names: list[str], secrets: SecretStore,
                *, on_state: StateListener = lambda name, state, detail: None,
                timeout: float = 10.0) -> dict[str, Outcome]:
    sending = prepare(console, incident_id, template_key, names, secrets)
    outcomes = deliver(sending, on_state=on_state, timeout=timeout)
    finish(console, sending, outcomes)
    return outcomes


def test_destination(console: Console, name: str, secrets: SecretStore, *, timeout: float = 10.0) -> Outcome:
    known = destinations(console)
    if name not in known:
        raise DomainError(f"No destination called {name}. Known: {', '.join(known) or 'none'}.")
    destination = build(known[name], secrets)

    async def run() -> Outcome:
        async with httpx.AsyncClient(timeout=timeout) as client:
            return (await publish([destination], TEST_UPDATE, client=client, attempts=2))[name]

    return asyncio.run(run())
