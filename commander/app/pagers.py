"""The team's pagers through the console: adding and removing them, and their secrets in this computer's
keyring. A PagerDuty pager has its routing key (`pager:NAME`, for the Events API) and, optionally, a
read-only REST API key (`pager-rest:NAME`, bound to the pager's `rest_url`), with which Commander reads back
who acknowledged its pages in PagerDuty. Each secret is sent only where it was entered for
(app/setup/connections.py)."""

from __future__ import annotations

from commander.app.console import Console
from commander.app.setup import connections
from commander.app.updates import publishing
from commander.domain.core.connections import Endpoint, endpoint
from commander.domain.core.errors import DomainError
from commander.domain.paging import pagers as pager_settings
from commander.domain.paging.pagers import STREAM, PagerConfig, check_api_key, check_routing_key, fold_pagers
from commander.integrations.pagerduty import REST_URL
from commander.integrations.secrets import SecretStore

REST = "pager-rest"  # the REST API key's noun: its keyring name is pager-rest:NAME


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
    secrets.delete(f"{REST}:{name}")


def rest_guarded(config: PagerConfig) -> connections.Guarded:
    """The pager's REST API key, bound to the REST API address its settings name (PagerDuty's by default)."""
    where = (config.options.get("rest_url") or REST_URL).strip().rstrip("/")
    return connections.Guarded(REST, config.name, Endpoint("pagerduty-rest", (("api_url", where),)))


def set_api_key(console: Console, name: str, secret: str, secrets: SecretStore) -> bool:
    """Give this computer a PagerDuty pager's read-only REST API key: with it, acknowledgements made in
    PagerDuty are read back. True when the keyring kept it, False when kept for this run only."""
    return connections.give(rest_guarded(_pagerduty(console, name)), check_api_key(secret), secrets)


def api_key(config: PagerConfig, secrets: SecretStore) -> tuple[str | None, str]:
    """The REST API key, or None and why it is not used ("" when this computer has none)."""
    try:
        return connections.bound_secret(rest_guarded(config), secrets), ""
    except DomainError:
        where = (config.options.get("rest_url") or REST_URL).strip()
        return None, (
            f"the REST API address of {config.name} changed since its API key was given here (now {where}): "
            f"give the API key again to send it there"
        )
