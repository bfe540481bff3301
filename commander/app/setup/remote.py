"""The shared store this console replicates with: where it is, its password, and the replicator.

The URL is kept in the local store's settings without its password; the password goes to the OS
keyring (commander.integrations.secrets), never to a file. Without a keyring it is kept for this
session only, and the caller is told so.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from commander.app.console import Console
from commander.domain.core.errors import DomainError

if TYPE_CHECKING:  # the window asks `configured` at start: nothing heavy (SQLAlchemy, keyring) for that
    from commander.integrations.secrets import SecretStore
    from commander.sync.replicator import Replicator, SyncStatus
    from commander.sync.shared import SharedStore

URL_KEY = "remote_url"
POLL_KEY = "remote_poll_seconds"
PASSWORD_ENV = "COMMANDER_REMOTE_PASSWORD"  # for scripts and CI: read at run time, never stored


@dataclass(frozen=True)
class Remote:
    url: str  # without a password
    poll_seconds: float
    has_password: bool


def split_password(url: str) -> tuple[str, str | None]:
    """The URL without its password, and the password (None when it had none)."""
    if not url.startswith(("postgresql", "sqlite")):
        raise DomainError(
            f"'{url}' is not a store Commander can share: use postgresql+psycopg://user@host/db "
            f"or sqlite:////path/on/a/shared/drive/commander.db."
        )
    if url.startswith("postgresql") and not url.startswith("postgresql+psycopg://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    parts = urlsplit(url)
    if parts.password is None:
        return url, None
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit(
        (parts.scheme, f"{user}@{host}" if user else host, parts.path, parts.query, parts.fragment)
    ), parts.password


def configured(console: Console) -> Remote | None:
    from commander.store.local import LocalReader

    if isinstance(console.reads, LocalReader):  # no SQLAlchemy on the start-up path
        url, poll = console.reads.setting(URL_KEY), console.reads.setting(POLL_KEY)
    else:
        from commander.store.repository import Settings

        with console.database.read() as conn:
            settings = Settings(conn)
            url, poll = settings.get(URL_KEY), settings.get(POLL_KEY)
    if url is None:
        return None
    return Remote(url, float(poll or 2.0), False)


def set_remote(
    console: Console, url: str, secrets: SecretStore, *, password: str | None = None, poll_seconds: float = 2.0
) -> tuple[Remote, bool]:
    """Keep the shared store's URL (and its password in the keyring). Returns the remote and whether the
    password is kept beyond this session."""
    from commander.store.repository import Settings

    if poll_seconds <= 0:
        raise DomainError("The poll interval must be more than 0 seconds.")
    bare, in_url = split_password(url.strip())
    secret = password if password is not None else in_url
    kept = True
    if secret:
        kept = secrets.put(bare, secret)
    with console.database.write() as conn:
        settings = Settings(conn)
        settings.put(URL_KEY, bare)
        settings.put(POLL_KEY, str(poll_seconds))
    return Remote(bare, poll_seconds, bool(secret)), kept


def clear_remote(console: Console, secrets: SecretStore) -> Remote | None:
    from commander.store.repository import Settings

    remote = configured(console)
    if remote is None:
        return None
    secrets.delete(remote.url)
    with console.database.write() as conn:
        settings = Settings(conn)
        settings.delete(URL_KEY)
        settings.delete(POLL_KEY)
    return remote


def shared_store(remote: Remote, secrets: SecretStore) -> SharedStore:
    from commander.sync.shared import SharedStore

    password = os.environ.get(PASSWORD_ENV) or secrets.get(remote.url)
    return SharedStore(remote.url, password=password)


def replicator(
    console: Console,
    remote: Remote,
    secrets: SecretStore,
    *,
    on_pulled: Callable[[int], None] = lambda count: None,
    on_status: Callable[[SyncStatus], None] = lambda status: None,
) -> Replicator:
    from commander.sync.replicator import Replicator

    return Replicator(
        console.database,
        shared_store(remote, secrets),
        console.console_id,
        console.me.name,
        on_pulled=on_pulled,
        on_status=on_status,
        poll_seconds=remote.poll_seconds,
        clock=console.clock,
        max_ahead_ms=console.clock.max_ahead_ms,
    )
