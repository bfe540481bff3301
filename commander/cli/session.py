"""What every command shares: the console (opened only when a command needs it), references, times."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from commander.app.bootstrap import build_console, store_url
from commander.app.console import Console
from commander.app.setup.services import Services
from commander.domain.actions.items import parse_due
from commander.domain.core.when import check_day, parse_when
from commander.store.records import IncidentSummary

YEAR_AHEAD = timedelta(days=366)  # how far ahead a plan (an on-call override, a shift lookup) may reach

if TYPE_CHECKING:
    from commander.domain.core.connections import Connection, Family
    from commander.integrations.secrets import SecretStore


def read_secret(prompt: str) -> str:
    """A secret from a hidden prompt, or the first line of standard input when it is not a terminal:
    never from an argument, so it stays out of shell history and process lists."""
    import getpass

    try:
        secret = getpass.getpass(prompt) if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    except UnicodeDecodeError:
        secret = "\udcff"  # refused just below, with the same sentence
    if not utf8(secret):
        raise Refusal(
            "The secret is not UTF-8 text (it holds bytes no character is made of), so no service "
            "would accept it. Type or paste it again, as UTF-8 text."
        )
    return secret


def utf8(text: str) -> bool:
    """False when the text holds lone surrogates: bytes that were not UTF-8, as Python keeps them."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def read_input(path: str, *, limit: int) -> str:
    """The UTF-8 text of a file, or of standard input for '-', read no further than `limit` bytes: a file
    past the limit is refused before it fills the memory."""
    name = "Standard input" if path == "-" else path
    try:
        if path == "-":
            raw = getattr(sys.stdin, "buffer", None)
            data = (
                raw.read(limit + 1) if raw is not None else sys.stdin.read(limit + 1).encode("utf-8", "surrogateescape")
            )
        else:
            with Path(path).expanduser().open("rb") as handle:
                data = handle.read(limit + 1)
    except OSError as error:
        raise Refusal(f"Cannot read {path}: {error.strerror or error}. Check the path.") from error
    if len(data) > limit:
        raise Refusal(
            f"{name} is larger than {limit:,} bytes, the most Commander reads at a time: refused, "
            f"nothing was read. Split it into smaller files."
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Refusal(
            f"{name} is not UTF-8 text (byte {data[error.start]:#04x} at position {error.start:,} "
            f"cannot be read). Save it as UTF-8 and try again."
        ) from None


def typed_day(text: str, today: date) -> date:
    """A day typed on the command line (a due date, a meeting) as `parse_due` reads it: 2026-12-05, 7d, 2w;
    from 1970 to 2199."""
    return check_day(parse_due(text, today), text.strip())


def read_options(items: Sequence[str]) -> dict[str, str]:
    """`--option KEY=VALUE` arguments as a dict; anything else is refused with what was wrong."""
    options: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise Refusal(f"'{item}' is not KEY=VALUE.")
        options[key.strip()] = value.strip()
    return options


def add_connection(
    session: Session,
    args: argparse.Namespace,
    family: Family,
    add: Callable[..., tuple[Connection, bool]],
    *,
    secret_optional: bool = False,
) -> int:
    """`commander destination|tracker|chat|bridge add KIND NAME [--option K=V]…`: the secret from a hidden
    prompt or standard input, the settings from --option; says when the secret is kept for this run only.
    With `secret_optional`, a kind that takes no secret (or one not known) is added without asking."""
    kind = family.kinds.get(args.kind.strip().lower())
    options = read_options(args.option)
    ask = bool(kind and kind.secret) if secret_optional else True
    secret = read_secret(f"Secret ({kind.secret if kind else 'a token'}; not shown): ") if ask else ""
    secrets = session.secrets
    config, kept = add(session.console, args.kind, args.name, options, secret, secrets)
    from commander.cli.render import clean

    print(f"Added {clean(config.name)} ({config.kind}).")
    if not kept:
        print(secrets.notice, file=sys.stderr)
    return 0


class Refusal(Exception):
    """A problem the person can fix that is not the domain's or the store's: a file that cannot be
    written, a window that is not installed. The message is a sentence that says what to do."""


class Session:
    """One run of the command: the parsed options, the infrastructure (`services`, made once, as the
    window's) and, once asked for, the console."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.services = Services()
        self._console: Console | None = None

    @property
    def secrets(self) -> SecretStore:
        """The OS keyring (or, without one, this run's memory): opened only by commands that need it."""
        return self.services.secrets

    @property
    def console(self) -> Console:
        if self._console is None:
            try:
                self._console = build_console(self.args.db, user=self.args.as_name, services=self.services)
            except FileNotFoundError as error:
                if error.errno is None:  # resources_dir(): the policy is missing; its message says what to do
                    raise Refusal(str(error)) from error
                raise self._cannot_open(error) from error
            except OSError as error:  # e.g. the store's folder cannot be created
                raise self._cannot_open(error) from error
        return self._console

    def _cannot_open(self, error: OSError) -> Refusal:
        return Refusal(
            f"Cannot open the store {store_url(self.args.db)}: {error.strerror or error}. "
            f"Check the path, or choose another store with --db."
        )

    def resolve(self, reference: str) -> IncidentSummary:
        if not utf8(reference):
            shown = reference.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            raise Refusal(
                f"The reference '{shown}' is not UTF-8 text, so no incident has it. Type it as "
                f"`commander list` shows it (INC-7K2M, or a start of it)."
            )
        return self.console.resolve(reference)

    def when(self, text: str, *, ahead: timedelta | None = None) -> datetime:
        """A time typed on the command line, read in this console's local zone: from 1970 to 2199, and no
        more than `ahead` after now when given (plans such as on-call overrides: a year)."""
        console = self.console
        return parse_when(text, now=console.now(), zone=console.zone, ahead=ahead)

    def close(self) -> None:
        if self._console is not None:
            self._console.close()
            self._console = None
