"""Looking after the store and the person: `demo`, `db upgrade`, `db rebuild`, `whoami`."""

from __future__ import annotations

import argparse

from commander.app.bootstrap import store_url
from commander.app.setup import identity
from commander.app.setup.demo import demo_incidents
from commander.cli.render import clean
from commander.cli.session import Session


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "demo",
        parents=[common],
        help="add the demo incidents; prints their references",
        description="Add a realistic SEV1 in progress, an open SEV3 and a resolved SEV2. "
        "Running it again adds another set.",
    )
    p.set_defaults(func=demo)

    db = commands.add_parser("db", parents=[common], help="look after the store: upgrade, rebuild")
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    p = actions.add_parser("upgrade", parents=[common], help="bring the store's schema up to date")
    p.add_argument("--url", metavar="URL_OR_PATH", help="the store to upgrade (default: --db, else yours)")
    p.set_defaults(func=upgrade)
    p = actions.add_parser("rebuild", parents=[common], help="remake the incident list from the event log")
    p.set_defaults(func=rebuild)
    p = actions.add_parser(
        "grant-roles",
        parents=[common],
        help="PostgreSQL: create the responder (read, append) and viewer (read) roles",
        description="Create the commander_responder and commander_viewer roles on a "
        "PostgreSQL shared store and make login users members. Neither may "
        "UPDATE or DELETE events: the database refuses it.",
    )
    p.add_argument("--url", metavar="URL", required=True, help="the shared store, as its administrator")
    p.add_argument("--responder", action="append", default=[], metavar="USER", help="a login that responds")
    p.add_argument("--viewer", action="append", default=[], metavar="USER", help="a login that only reads")
    p.set_defaults(func=grant)

    p = commands.add_parser("whoami", parents=[common], help="the name your changes are recorded under")
    p.add_argument("--set", metavar="NAME", help="record changes under this name from now on")
    p.set_defaults(func=whoami)


def demo(session: Session, args: argparse.Namespace) -> int:
    for state in demo_incidents(session.console):
        print(state.reference)
    return 0


def upgrade(session: Session, args: argparse.Namespace) -> int:
    # Not through the console: building one would already upgrade, and this must work on a store that
    # the console could not open yet.
    from commander.store.database import Database

    database = Database(store_url(args.url or args.db))
    try:
        database.upgrade()
        print(f"{clean(database.where)}: schema {database.schema_version()} (up to date)")
    finally:
        database.dispose()
    return 0


def grant(session: Session, args: argparse.Namespace) -> int:
    from commander.store.database import Database
    from commander.store.roles import grant_roles

    database = Database(store_url(args.url))
    try:
        for line in grant_roles(database, responders=tuple(args.responder), viewers=tuple(args.viewer)):
            print(clean(line))
    finally:
        database.dispose()
    return 0


def rebuild(session: Session, args: argparse.Namespace) -> int:
    console = session.console
    incidents = console.rebuild()
    with console.database.read() as conn:
        from commander.store.repository import EventLog

        events = EventLog(conn).count()
    print(f"Rebuilt the incident list: {incidents} incidents from {events} events.")
    return 0


def whoami(session: Session, args: argparse.Namespace) -> int:
    console = session.console
    if args.set is not None:
        identity.rename_me(console, args.set)
    print(clean(console.me.name))
    return 0
