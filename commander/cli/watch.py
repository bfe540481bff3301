"""`commander watch [--listen HOST:PORT] [--token-file PATH]`: workflows, escalations, timers, chat and
Alertmanager's webhook with no window open (app/watch.py), until SIGTERM or Ctrl+C; then exit 0.

The token callers must send comes from --token-file, else $COMMANDER_WATCH_TOKEN; without one only callers
on this host are served. A token file others can read is refused (chmod 600 it); one the group can read is
used with a warning. The log goes to standard error, one line per thing that happened.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import stat
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from commander.cli.session import Refusal, Session

if TYPE_CHECKING:
    Parsers = argparse._SubParsersAction[argparse.ArgumentParser]

TOKEN_ENV = "COMMANDER_WATCH_TOKEN"
TOKEN_MIN = 16  # characters: shorter is a password someone could guess
TOKEN_MAX = 4096  # a header's worth; waitress's header limit is far above
_NEW_TOKEN = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


def register(commands: Parsers, common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "watch",
        parents=[common],
        help="run workflows, escalations, timers and Alertmanager's webhook with no window",
        description="Run what the window runs without being asked (workflows, escalations, timers and the "
        "update countdown's overdue marks, chat, the shared store's replication) and receive Alertmanager's "
        "webhook at POST /alertmanager; GET /healthz says whether it is well. Stops on SIGTERM or Ctrl+C.",
    )
    p.add_argument(
        "--listen",
        metavar="HOST:PORT",
        default="127.0.0.1:9095",
        help="where to take requests (default 127.0.0.1:9095; [::1]:9095 for IPv6; port 0 picks a free one)",
    )
    p.add_argument(
        "--token-file",
        metavar="PATH",
        help=f"the bearer token callers must send, in a file only you can read (else ${TOKEN_ENV})",
    )
    p.set_defaults(func=watch)


def watch(session: Session, args: argparse.Namespace) -> int:
    from commander.app.watch import Watcher

    host, port = parse_listen(args.listen)
    log = _logger()
    token = read_token(args.token_file, warn=log.warning) if args.token_file else _env_token()
    if token is None and not _local(host):
        log.warning(
            "no token configured: only callers on this host are served; set %s or --token-file to take "
            "Alertmanager's webhook from elsewhere",
            TOKEN_ENV,
        )
    stop = threading.Event()
    _on_signals(stop)
    watcher = Watcher(session.console, listen=(host, port), token=token, log=log)
    try:
        watcher.run_until(stop)
    except OSError as error:
        raise Refusal(
            f"Cannot listen on {args.listen}: {error.strerror or error}. Choose another address with "
            f"--listen HOST:PORT, or stop what uses it."
        ) from error
    return 0


def parse_listen(text: str) -> tuple[str, int]:
    """HOST:PORT, [IPv6]:PORT; the port 0 to 65535."""
    host, sep, port = text.strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise Refusal(f"--listen '{text}' is not HOST:PORT (127.0.0.1:9095, 0.0.0.0:9095, [::1]:9095).")
    return host, int(port)


def read_token(path: str, *, warn: Callable[[str], object]) -> str:
    """The token in the file (one line). Refused when others can read the file, when empty or too short."""
    file = Path(path).expanduser()
    try:
        mode = file.stat().st_mode
        data = file.read_bytes()[: TOKEN_MAX + 1]
    except OSError as error:
        raise Refusal(f"Cannot read the token file {path}: {error.strerror or error}. Check the path.") from error
    if mode & stat.S_IROTH:
        raise Refusal(
            f"The token file {path} can be read by every user on this host: run `chmod 600 {path}` "
            f"(in Kubernetes, mount the secret with defaultMode 0400), then start again."
        )
    if mode & stat.S_IRGRP:
        warn(f"the token file can be read by its group path={path} (chmod 600 it)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal(f"The token file {path} is not text. Write the token in it as one line.") from None
    return check_token(text.strip(), f"The token in {path}")


def check_token(token: str, where: str) -> str:
    if not token:
        raise Refusal(f"{where} is empty. Write one in it: {_NEW_TOKEN}")
    if len(token) > TOKEN_MAX or any(not ("!" <= c <= "~") for c in token):
        raise Refusal(
            f"{where} must be one line of printable ASCII without spaces (it travels in a header). "
            f"Make one with: {_NEW_TOKEN}"
        )
    if len(token) < TOKEN_MIN:
        raise Refusal(f"{where} is shorter than {TOKEN_MIN} characters: easy to guess. Make one with: {_NEW_TOKEN}")
    return token


def _env_token() -> str | None:
    if TOKEN_ENV not in os.environ:
        return None
    return check_token(os.environ[TOKEN_ENV].strip(), f"${TOKEN_ENV}")


def _local(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


def _on_signals(stop: threading.Event) -> None:
    """SIGTERM (systemd, docker stop) and SIGINT (Ctrl+C) ask for a clean stop; a second one ends at once."""

    def asked(signum: int, _frame: object) -> None:
        stop.set()
        signal.signal(signum, signal.SIG_DFL)

    signal.signal(signal.SIGTERM, asked)
    signal.signal(signal.SIGINT, asked)


class OneLine(logging.Formatter):
    """time level logger message, key=value details in the message; a traceback folded onto the line."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s", "%Y-%m-%dT%H:%M:%S%z")

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "\\r").replace("\n", "\\n")


def _logger() -> logging.Logger:
    log = logging.getLogger("commander.watch")  # a child of "commander": its lines reach the handler below
    if not any(getattr(h, "commander_watch", False) for h in logging.getLogger("commander").handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(OneLine())
        handler.commander_watch = True  # type: ignore[attr-defined]
        for name in ("commander", "waitress"):  # the engine's and the server's own lines, in the same form
            logging.getLogger(name).addHandler(handler)
            logging.getLogger(name).setLevel(logging.INFO)
    return log
