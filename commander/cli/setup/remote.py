"""`commander remote set|show|clear` and `commander sync [--watch]`: the team's shared store."""

from __future__ import annotations

import argparse
import getpass
import sys
import time

from commander.app.setup import remote as remotes
from commander.cli.render import clean
from commander.cli.session import Refusal, Session


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "remote",
        parents=[common],
        help="the shared store this console syncs with",
        description="Set, show or clear the team's shared store (PostgreSQL or a shared "
        "SQLite file). A password goes to the OS keyring, never to a file.",
    )
    actions = p.add_subparsers(dest="remote_action", metavar="ACTION", required=True)
    s = actions.add_parser("set", parents=[common], help="use this shared store")
    s.add_argument("url", help="postgresql+psycopg://user@host/db?sslmode=verify-full or sqlite:////shared/c.db")
    s.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input (else: asked for when the URL names a user)",
    )
    s.add_argument("--no-password", action="store_true", help="the server needs no password (trust, cert, .pgpass)")
    s.add_argument(
        "--poll",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="how often to look for news where the store cannot notify (shared SQLite)",
    )
    s.set_defaults(func=remote_set)
    actions.add_parser("show", parents=[common], help="the shared store in use").set_defaults(func=remote_show)
    actions.add_parser("clear", parents=[common], help="stop syncing").set_defaults(func=remote_clear)

    p = commands.add_parser(
        "sync",
        parents=[common],
        help="push and pull changes with the shared store",
        description="Run one replication round and report counts; --watch keeps going.",
    )
    p.add_argument("--watch", action="store_true", help="keep syncing until interrupted (Ctrl+C)")
    p.add_argument(
        "--quarantine",
        action="store_true",
        help="list the rows from the shared store that were set aside, with why, and stop",
    )
    p.set_defaults(func=sync)


def remote_set(session: Session, args: argparse.Namespace) -> int:
    bare, in_url = remotes.split_password(args.url)
    password = in_url
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif (
        password is None
        and not args.no_password
        and bare.startswith("postgresql")
        and "@" in bare
        and sys.stdin.isatty()
    ):
        password = getpass.getpass(f"Password for {bare} (empty for none): ") or None
    secrets = session.secrets
    remote, kept = remotes.set_remote(session.console, args.url, secrets, password=password, poll_seconds=args.poll)
    print(f"Shared store: {clean(remote.url)}")
    if password and not kept:
        print(secrets.notice, file=sys.stderr)
    print("Run `commander sync` to send and fetch changes (the window syncs by itself).")
    return 0


def remote_show(session: Session, args: argparse.Namespace) -> int:
    remote = remotes.configured(session.console)
    if remote is None:
        print("No shared store: this console works on its own. Set one with `commander remote set URL`.")
        return 0
    waiting = _waiting(session)
    print(f"Shared store: {clean(remote.url)}\nChanges waiting to be sent: {waiting}")
    return 0


def remote_clear(session: Session, args: argparse.Namespace) -> int:
    removed = remotes.clear_remote(session.console, session.secrets)
    print(f"No longer syncing with {clean(removed.url)}." if removed else "No shared store was set.")
    return 0


def _waiting(session: Session) -> int:
    from commander.store.repository import Outbox

    with session.console.database.read() as conn:
        return Outbox(conn).count()


def quarantine(session: Session) -> int:
    from commander.store.quarantine import Quarantine

    with session.console.database.read() as conn:
        kept = Quarantine(conn)
        total, listed = kept.count(), kept.listed()
    if not total:
        print("Nothing was set aside: every row pulled from the shared store passed its checks.")
        return 0
    print(f"{total} rows were set aside (never stored as events, never shown on a timeline):")
    for row in listed:
        who = f", written by login {row.login}" if row.login else ""
        print(
            clean(
                f"- {row.seen_at:%Y-%m-%d %H:%M} UTC  {row.source} #{row.seq}  {row.kind or '?'} "
                f"{row.event_id or '?'}{who}"
            )
        )
        print("    " + clean(row.reason))
    if total > len(listed):
        print(f"... and {total - len(listed)} older ones.")
    return 0


def sync(session: Session, args: argparse.Namespace) -> int:
    console = session.console
    if args.quarantine:
        return quarantine(session)
    remote = remotes.configured(console)
    if remote is None:
        raise Refusal("No shared store is set. Set one with `commander remote set URL`, then sync.")
    replicator = remotes.replicator(console, remote, session.secrets)
    try:
        replicator.check()
        pushed = pulled = 0
        while True:
            result = replicator.run_once()
            pushed, pulled = pushed + result.pushed, pulled + result.pulled
            if not result.more:
                break
        console.catch_up()  # project what was pulled, as the window would
        print(f"Sent {pushed}, received {pulled}; {replicator.waiting()} waiting.")
        if replicator.notice:
            print(replicator.notice, file=sys.stderr)
        if replicator.set_aside:
            print(
                f"{replicator.set_aside} rows from the shared store were set aside; "
                f"`commander sync --quarantine` lists them.",
                file=sys.stderr,
            )
        if not args.watch:
            return 0
        print("Watching; Ctrl+C stops.", flush=True)
        replicator.on_pulled = lambda count: print(f"Received {count}.", flush=True)
        replicator.start()
        while True:
            time.sleep(1)
            console.catch_up()
    finally:
        replicator.stop()
