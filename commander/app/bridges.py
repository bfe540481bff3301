"""Meeting bridges through the console: the team's bridges (settings shared as events, secrets in this
computer's keyring), and starting one for an incident.

`start` makes the meeting and returns it; putting its address on the incident (a note, a workflow action's
summary) is the caller's. It waits on the network: the window calls it off the UI thread."""

from __future__ import annotations

import asyncio

from commander.app.console import Console
from commander.app.setup import connections
from commander.domain.bridges.connections import FAMILY, KINDS, BridgeConfig, check_meet_secret, needs_secret

__all__ = ["FAMILY", "add", "bridges", "give_secret", "remove", "secret_of", "start", "trust"]
from commander.domain.core.errors import DomainError
from commander.integrations import bridges as services
from commander.integrations.bridges.base import Bridge, BridgeProblem
from commander.integrations.secrets import SecretStore

TIMEOUT = 15.0  # seconds per request: a token, then the meeting


def bridges(console: Console) -> dict[str, BridgeConfig]:
    return connections.listed(console, FAMILY)


def add(
    console: Console, kind: str, name: str, options: dict[str, str], secret: str, secrets: SecretStore
) -> tuple[BridgeConfig, bool]:
    """Add a bridge. Jitsi and a fixed bridge take no secret; Zoom's and Google's go to the keyring first.
    Returns it and whether the keyring kept the secret (False: for this run only)."""
    key = kind.strip().lower()
    if key in KINDS and not needs_secret(key):
        if secret.strip():
            raise DomainError(f"A {key} bridge takes no secret: add it without one.")
        console.record(FAMILY.add(bridges(console), key, name, options))
        return bridges(console)[name.strip()], True
    if key == "meet":
        check_meet_secret(secret)
    return connections.add(console, FAMILY, kind, name, options, secret, secrets)


def remove(console: Console, name: str, secrets: SecretStore) -> None:
    connections.remove(console, FAMILY, name, secrets)


def _with_secret(console: Console, name: str) -> BridgeConfig:
    config = connections.find(console, FAMILY, name)
    if not needs_secret(config.kind):
        raise DomainError(f"{name} is a {config.kind} bridge, which has no secret.")
    return config


def give_secret(console: Console, name: str, secret: str, secrets: SecretStore) -> bool:
    """This computer's secret for a Zoom or Google Meet bridge added elsewhere (or again)."""
    config = _with_secret(console, name)
    if config.kind == "meet":
        check_meet_secret(secret)
    return connections.give(connections.guarded(config), secret, secrets)


def trust(console: Console, name: str, secrets: SecretStore) -> tuple[str, str]:
    """Confirm the address a bridge's settings name now: its secret here is sent there."""
    return connections.trust(connections.guarded(_with_secret(console, name)), secrets)


def secret_of(console: Console, config: BridgeConfig) -> str:
    """The bridge's secret on this computer ("" for kinds without one), or a DomainError saying what to do."""
    return connections.secret_for(config, console.secrets) if needs_secret(config.kind) else ""


def start(console: Console, name: str, topic: str) -> Bridge:
    """A new meeting on the named bridge for `topic` (the incident's "INC-12 SEV2 Checkout 502s").
    Raises DomainError (no such bridge, no secret here) or BridgeProblem (the service refused or failed;
    `transient` when trying again later may work)."""
    config = connections.find(console, FAMILY, name)
    if config.kind not in services.MODULES:
        raise DomainError(
            f"{name} is a '{config.kind}' bridge, which this Commander does not know: update Commander, or "
            f"remove it and add it again as one of: {', '.join(services.MODULES)}."
        )
    service = services.make(config.kind, config.name, config.options, secret_of(console, config))

    async def run() -> Bridge:
        async with console.services.http(TIMEOUT) as client:
            return await service.start(client, topic)

    bridge = asyncio.run(run())
    if not bridge.url.startswith(("https://", "http://")):
        raise BridgeProblem(f"{name} gave no usable meeting address: start a meeting by hand and share it.")
    return bridge
