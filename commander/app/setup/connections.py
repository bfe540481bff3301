"""Connections through the console: a family's list, adding one (settings as an event, the secret to
this computer's keyring), removing one, and the secret needed to use one.

The settings are shared through the store, so anyone who can write there can re-add a connection with
their own address. A secret is therefore bound to the endpoint it was entered for (`Endpoint`, kept beside
it in the keyring) and handed to a sender only while the settings still send to that endpoint; when they
changed, the secret is held back until this person confirms the new address (`trust`) or gives the secret
again (`give`)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from commander.app.console import Console
from commander.domain.core.connections import Connection, Endpoint, Family, endpoints_seen, insecure
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event
from commander.integrations.secrets import Binding, SecretNotKept, SecretStore

log = logging.getLogger(__name__)

# The command that manages each family, for messages.
COMMANDS = {
    "destination": "commander destination",
    "tracker": "commander tracker",
    "pager": "commander pager",
    "alert_source": "commander alerts source",
    "chat": "commander chat",
    "bridge": "commander bridge",
}
# What each family's connection is called in messages, where its noun alone does not say it.
WORDS = {"chat": "chat connection"}


@dataclass(frozen=True)
class Guarded:
    """A connection whose secret this computer may send: where its shared settings send it now, and every
    endpoint its name was ever added with."""

    noun: str
    name: str
    endpoint: Endpoint
    seen: frozenset[str] = frozenset()

    @property
    def secret_name(self) -> str:
        return f"{self.noun}:{self.name}"

    @property
    def trust_command(self) -> str:
        return f"{COMMANDS.get(self.noun, 'commander ' + self.noun)} trust '{self.name}'"


def guarded(config: Connection) -> Guarded:
    return Guarded(config.noun, config.name, config.endpoint, config.seen)


def seen_in(events: Iterable[Event], noun: str, name: str) -> frozenset[str]:
    return endpoints_seen(events, noun).get(name, frozenset())


class SecretHeldBack(DomainError):
    """The settings now send the secret somewhere other than where it was entered for."""


@dataclass(frozen=True)
class SecretState:
    """This computer's secret for a connection: "missing", "held" (the address changed) or "ready"; with
    the address it was entered for (`was`, "" when unknown) and the one the settings name now."""

    state: str
    was: str
    now: str
    reason: str = ""


def state_of(target: Guarded, secrets: SecretStore) -> SecretState:
    now = target.endpoint.where
    if secrets.get(target.secret_name) is None:
        return SecretState("missing", "", now)
    binding = secrets.binding(target.secret_name)
    if binding is None:
        if target.seen <= {target.endpoint.fingerprint}:
            return SecretState("ready", now, now)
        return SecretState(
            "held",
            "",
            now,
            f"{target.name} was added again with other settings since its secret "
            f"was kept here (it now sends to {now}): confirm the address with "
            f"`{target.trust_command}`, or give its secret again.",
        )
    if binding.endpoint != target.endpoint.fingerprint:
        return SecretState(
            "held",
            binding.where,
            now,
            f"The settings of {target.name} changed (now sends to {now}, not {binding.where}): confirm "
            f"the new address with `{target.trust_command}`, or give its secret again.",
        )
    return SecretState("ready", binding.where, now)


def state_text(found: SecretState) -> str:
    """The state in a few words, for lists."""
    if found.state == "missing":
        return "no secret on this computer"
    if found.state == "held":
        return "secret held back: address changed"
    return "secret here"


def bound_secret(target: Guarded, secrets: SecretStore) -> str | None:
    """The secret, when the settings still send it where it was entered for; None when this computer has
    none. Raises `SecretHeldBack` when the address changed, DomainError when it is plain http://."""
    problem = insecure(dict(target.endpoint.addresses))
    if problem:
        raise DomainError(f"{target.name} is not used: {problem}")
    found = state_of(target, secrets)
    if found.state == "held":
        raise SecretHeldBack(found.reason)
    if found.state == "missing":
        return None
    if secrets.binding(target.secret_name) is None:
        # A secret kept by a Commander from before bindings: bound on first use to the settings as they are
        # then (a migration-free path for existing installs), but only when its name was never added with
        # other addresses (state_of holds back the others: a re-add elsewhere is this very attack).
        try:
            secrets.bind(target.secret_name, Binding(target.endpoint.fingerprint, target.endpoint.where))
        except SecretNotKept:
            log.warning("could not bind the secret of %s to its endpoint; it stays unbound", target.secret_name)
    return secrets.get(target.secret_name)


def secret_for(config: Connection | Guarded, secrets: SecretStore) -> str:
    target = config if isinstance(config, Guarded) else guarded(config)
    secret = bound_secret(target, secrets)
    if secret is None:
        raise DomainError(
            f"This computer has no secret for the {WORDS.get(target.noun, target.noun)} {target.name} (secrets "
            f"stay in each computer's keyring). Give it here with `{COMMANDS.get(target.noun)} secret "
            f"'{target.name}'`."
        )
    return secret


def give(target: Guarded, secret: str, secrets: SecretStore) -> bool:
    """Keep this computer's secret for `target`, bound to where its settings send it now. True when the
    keyring has it, False when kept for this run only (no keyring); SecretNotKept when the keyring refused."""
    problem = insecure(dict(target.endpoint.addresses))
    if problem:
        raise DomainError(problem)
    if not secret.strip():
        raise DomainError("No secret given.")
    return secrets.keep(target.secret_name, secret.strip(), Binding(target.endpoint.fingerprint, target.endpoint.where))


def trust(target: Guarded, secrets: SecretStore) -> tuple[str, str]:
    """This person confirms the address the settings name now: the secret kept here is bound to it.
    Returns the address it was entered for ("" when unknown) and the new one."""
    problem = insecure(dict(target.endpoint.addresses))
    if problem:
        raise DomainError(problem)
    found = state_of(target, secrets)
    if found.state == "missing":
        raise DomainError(
            f"This computer has no secret for {target.name}: there is nothing to confirm. Give it its secret instead."
        )
    secrets.bind(target.secret_name, Binding(target.endpoint.fingerprint, target.endpoint.where))
    return found.was, found.now


def listed(console: Console, family: Family) -> dict[str, Connection]:
    return family.fold(console.reads.stream(family.stream))


def find(console: Console, family: Family, name: str) -> Connection:
    known = listed(console, family)
    if name not in known:
        raise DomainError(f"No {family.noun} called {name}. `{family.listing}` shows them.")
    return known[name]


def add(
    console: Console, family: Family, kind: str, name: str, options: dict[str, str], secret: str, secrets: SecretStore
) -> tuple[Connection, bool]:
    """Add one; its secret goes to the keyring first, so a keyring that refuses it leaves nothing recorded.
    Returns it and whether the keyring kept the secret (False: no keyring, kept for this run only)."""
    found = family.kinds.get(kind.strip().lower())
    if found and not secret.strip():
        raise DomainError(f"No secret given: a {found.key} {family.noun} needs {found.secret}.")
    drafts = family.add(listed(console, family), kind, name, options)
    p = drafts[0].payload
    config = Connection(p["name"], p["kind"], dict(p["options"]), family.noun)
    kept = give(guarded(config), secret, secrets)
    try:
        console.record(drafts)
    except BaseException:
        secrets.delete(config.secret_name)
        raise
    return listed(console, family)[config.name], kept


def remove(console: Console, family: Family, name: str, secrets: SecretStore) -> None:
    console.record(family.remove(listed(console, family), name))
    secrets.delete(f"{family.noun}:{name}")
