"""Connections through the console: a family's list, adding one (settings as an event, the secret to
this computer's keyring), removing one, and the secret needed to use one."""

from __future__ import annotations

from commander.app.console import Console
from commander.domain.connections import Connection, Family
from commander.domain.errors import DomainError
from commander.integrations.secrets import SecretStore


def listed(console: Console, family: Family) -> dict[str, Connection]:
    return family.fold(console.reads.stream(family.stream))


def add(console: Console, family: Family, kind: str, name: str, options: dict[str, str], secret: str,
        secrets: SecretStore) -> tuple[Connection, bool]:
    """Add one; its secret goes to the keyring. Returns it and whether the keyring kept the secret (False:
    kept for this run only)."""
    found = family.kinds.get(kind.strip().lower())
    if found and not secret.strip():
        raise DomainError(f"No secret given: a {found.key} {family.noun} needs {found.secret}.")
    console.record(family.add(listed(console, family), kind, name, options))
    config = listed(console, family)[name.strip()]
    return config, secrets.put(config.secret_name, secret.strip())


def remove(console: Console, family: Family, name: str, secrets: SecretStore) -> None:
    console.record(family.remove(listed(console, family), name))
    secrets.delete(f"{family.noun}:{name}")


def secret_for(config: Connection, secrets: SecretStore) -> str:
    secret = secrets.get(config.secret_name)
    if secret is None:
        raise DomainError(f"This computer has no secret for the {config.noun} {config.name} (secrets stay in "
                          f"each computer's keyring). Add it again here with `commander {config.noun} add`.")
    return secret
