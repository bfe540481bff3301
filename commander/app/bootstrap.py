"""The composition root: builds a Console from a store URL. The UI and the command line start here."""

from __future__ import annotations

import getpass
import os
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from platformdirs import user_data_dir

from commander.app.console import Console, utc_now
from commander.app.resources import load_policy
from commander.domain.clock import HybridClock, to_ms
from commander.domain.events import Actor
from commander.domain.ids import new_id
from commander.domain.policy import Policy
from commander.domain.text import clean_name
from commander.store.database import Database
from commander.store.repository import EventLog, Settings


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


def build_console(url: str | None = None, *, user: str | None = None, policy: Policy | None = None) -> Console:
    """Open (creating or upgrading) the store and wire a console to it."""
    database = Database(store_url(url))
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
    if user:
        name = clean_name(user, field="your name")
    clock = HybridClock(physical=lambda: to_ms(datetime.now(UTC)))
    clock.observe(latest)
    zone = local_zone() or datetime.now().astimezone().tzinfo or UTC

    def local_time(moment: datetime) -> str:
        # Times inside timeline text ("Detected time set to ...") read in the person's own zone.
        return moment.astimezone(zone).strftime("%d %b %H:%M")

    return Console(database, policy or load_policy(), me=Actor(user_id, name), console_id=console_id,
                   clock=clock, wall=utc_now, zone=zone, time_format=local_time)


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
