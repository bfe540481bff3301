"""The composition root: builds a Console from a store URL, with the process's infrastructure (`Services`: the
secret store, HTTP clients and publishers). The UI and the command line start here."""

from __future__ import annotations

import getpass
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from platformdirs import user_data_dir

from commander.app.console import Console, utc_now
from commander.app.setup.resources import load_policy
from commander.app.setup.services import Services
from commander.domain.core.clock import HybridClock, to_ms
from commander.domain.core.events import Actor
from commander.domain.core.ids import new_id
from commander.domain.core.policy import Policy
from commander.domain.core.text import clean_name

if TYPE_CHECKING:
    from commander.store.database import Database
    from commander.store.local import LocalReader


log = logging.getLogger(__name__)


def default_store_url() -> str:
    folder = Path(os.environ.get("COMMANDER_HOME") or user_data_dir("Commander", appauthor=False))
    return f"sqlite:///{folder / 'commander.db'}"


def store_url(argument: str | None) -> str:
    """`--db` takes a SQLAlchemy URL or a plain file path."""
    if not argument:
        return os.environ.get("COMMANDER_DB") or default_store_url()
    if "://" in argument:
        return argument
    return f"sqlite:///{Path(argument).expanduser().resolve()}"


def local_zone() -> ZoneInfo | None:
    name = os.environ.get("TZ")
    if name:
        try:
            return ZoneInfo(name)
        except (KeyError, ValueError, OSError):
            return None
    return None


def build_console(
    url: str | None = None, *, user: str | None = None, policy: Policy | None = None, services: Services | None = None
) -> Console:
    """Open (creating or upgrading) the store and wire a console to it, with the process's infrastructure
    (`services`: the secret store, HTTP clients and publishers; made here unless given).

    A local SQLite file that is already set up opens without importing SQLAlchemy: reads go through
    the standard library (LocalReader, which also keeps long incidents' snapshots), and the writing side
    is made on first use or by `warm_up`.
    """
    resolved = store_url(url)
    path = local_file(resolved)
    opened = _open_ready_file(path) if path is not None and path.is_file() else None
    if opened is None:
        opened = _open_and_prepare(resolved, path)
    reads, console_id, user_id, name, latest = opened
    if user:
        name = clean_name(user, field="your name")
    policy = policy or load_policy()
    clock = HybridClock(physical=lambda: to_ms(datetime.now(UTC)), max_ahead_ms=policy.max_clock_drift_minutes * 60_000)
    clock.observe(latest, checked=True)  # this store's own rows were checked on their way in
    zone = local_zone() or datetime.now().astimezone().tzinfo or UTC

    def local_time(moment: datetime) -> str:
        # Times inside timeline text ("Detected time set to ...") read in the person's own zone.
        return moment.astimezone(zone).strftime("%d %b %H:%M")

    def make_database() -> Database:
        from commander.store.database import Database

        return Database(resolved)

    console = Console(
        make_database,
        policy,
        me=Actor(user_id, name),
        console_id=console_id,
        clock=clock,
        wall=utc_now,
        zone=zone,
        time_format=local_time,
        services=services or Services(),
        reads=reads,
        snapshots=reads,
        where=str(path) if path is not None else _display(resolved),
        is_sqlite=resolved.startswith("sqlite"),
    )
    if console.behind():
        # Events another process committed but did not project (a first sync killed mid-way): the
        # incident list must show them before anyone reads it. A store that cannot be written to
        # (read-only) is shown as it is.
        from commander.store.errors import StoreError

        try:
            console.catch_up()
        except StoreError as error:
            log.warning("could not bring the incident list up to date: %s", error)
    return console


Opened = tuple["LocalReader | None", str, str, str, int]


def local_file(url: str) -> Path | None:
    """The file behind a plain `sqlite:///path` URL; None for memory, URI-style or server stores."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url:
        return None
    rest = url[len(prefix) :]
    return None if rest in ("", ":memory:") or rest.startswith("file:") else Path(rest)


def _open_ready_file(path: Path) -> Opened | None:
    """The fast path: a store at the current schema with its console settings already made."""
    from commander.store.errors import SCHEMA_HEAD
    from commander.store.local import LocalReader

    reader = LocalReader(path)
    ok = False
    try:
        if reader.schema_version() != SCHEMA_HEAD:
            return None  # new, older or newer: the full path creates, upgrades or refuses it
        console_id, user_id, name = (reader.setting(k) for k in ("console_id", "user_id", "user_name"))
        if console_id is None or user_id is None or name is None:
            return None
        ok = True
        return reader, console_id, user_id, name, reader.max_hlc()
    finally:
        if not ok:
            reader.close()


def _open_and_prepare(url: str, path: Path | None) -> Opened:
    from commander.store.database import Database
    from commander.store.local import LocalReader
    from commander.store.repository import EventLog, Settings

    database = Database(url)
    try:
        database.open()
        with database.write() as conn:
            settings = Settings(conn)
            console_id = settings.get("console_id")
            if console_id is None:
                console_id = new_id(to_ms(utc_now()))
                settings.put("console_id", console_id)
            user_id = settings.get("user_id")
            if user_id is None:
                user_id = new_id(to_ms(utc_now()))
                settings.put("user_id", user_id)
            name = settings.get("user_name")
            if name is None:
                name = _default_name()
                settings.put("user_name", name)
            latest = EventLog(conn).max_hlc()
    finally:
        database.dispose()
    return (LocalReader(path) if path is not None else None), console_id, user_id, name, latest


def _display(url: str) -> str:
    if "@" in url and "://" in url:  # hide a password without parsing the URL (no SQLAlchemy here)
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}" if ":" in credentials else url
    return url


def _default_name() -> str:
    raw = os.environ.get("COMMANDER_USER") or _login_name()
    try:
        return clean_name(raw)
    except ValueError:
        return "Responder"


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "Responder"
