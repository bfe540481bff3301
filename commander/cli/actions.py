"""`commander action …` (action items across incidents) and `commander tracker …` (where they are pushed).

A tracker's secret (an API token) is read from standard input or a hidden prompt, never from an
argument, so it stays out of shell history."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from datetime import date
from typing import Any

from commander.cli.render import clean, json_text, table
from commander.cli.session import Refusal, Session, add_connection, typed_day
from commander.cli.setup import connection_secrets
from commander.domain.actions.items import (
    DEFAULT_PRIORITY,
    DEFAULT_TYPE,
    PRIORITIES,
    STATUSES,
    TYPES,
    ActionFilter,
    ActionItem,
    NewAction,
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "action",
        parents=[common],
        help="action items across incidents",
        description="Follow-up work from incidents: owner, due day (default: 7 days after "
        "resolution), priority, type, status; pushed to a tracker on request.",
    )
    verbs = p.add_subparsers(dest="action_verb", metavar="VERB", required=True)
    s = verbs.add_parser("list", parents=[common], help="open items, overdue first")
    s.add_argument("--overdue", action="store_true", help="only the overdue ones")
    s.add_argument("--owner", metavar="NAME", help="only this person's ('none': items nobody owns)")
    s.add_argument("--team", metavar="TEAM", help="only this team's")
    s.add_argument("--incident", metavar="REF", help="only this incident's")
    s.add_argument("--type", choices=TYPES)
    s.add_argument("--status", choices=[*STATUSES, "all"], default="open", help="default: open")
    s.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    s.set_defaults(func=listing)

    s = verbs.add_parser("add", parents=[common], help="add an item to an incident; prints its reference")
    s.add_argument("ref", metavar="REF", help="the incident")
    s.add_argument("title", metavar="TITLE")
    _fields(s)
    s.add_argument("--source", default="manual", help="where it came from (default: manual)")
    s.set_defaults(func=add)

    s = verbs.add_parser("edit", parents=[common], help="change an item's fields")
    s.add_argument("id", metavar="ID", help="the item's reference (ACT-…) or any unambiguous start of it")
    s.add_argument("--title")
    _fields(s)
    s.set_defaults(func=edit)

    s = verbs.add_parser("done", parents=[common], help="mark an item done")
    s.add_argument("id", metavar="ID")
    s.set_defaults(func=lambda session, args: _status(session, args.id, "done"))
    s = verbs.add_parser("reopen", parents=[common], help="open a done or won't-do item again")
    s.add_argument("id", metavar="ID")
    s.set_defaults(func=lambda session, args: _status(session, args.id, "open"))
    s = verbs.add_parser("wont-do", parents=[common], help="close an item that will not be done, saying why")
    s.add_argument("id", metavar="ID")
    s.add_argument("--reason", required=True)
    s.set_defaults(func=lambda session, args: _status(session, args.id, "wont_do", args.reason))

    s = verbs.add_parser("push", parents=[common], help="create an issue for the item in a tracker")
    s.add_argument("id", metavar="ID")
    s.add_argument("--to", required=True, metavar="NAME", help="the tracker (`commander tracker list`)")
    s.add_argument("--again", action="store_true", help="push even though it is already there (a second issue)")
    s.set_defaults(func=push)
    s = verbs.add_parser("refresh", parents=[common], help="read the trackers' status of pushed open items")
    s.add_argument("id", metavar="ID", nargs="?", help="only this item")
    s.set_defaults(func=refresh)

    p = commands.add_parser("tracker", parents=[common], help="where action items are pushed: Jira, GitHub, …")
    verbs = p.add_subparsers(dest="tracker_verb", metavar="VERB", required=True)
    s = verbs.add_parser("add", parents=[common], help="add a tracker; its secret is read from stdin")
    s.add_argument("kind", metavar="KIND", help="jira, github, linear or asana")
    s.add_argument("name", metavar="NAME", help="a name people recognise, e.g. ops-jira")
    s.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting that is not secret, e.g. project=OPS",
    )
    s.set_defaults(func=add_tracker)
    verbs.add_parser("list", parents=[common], help="the trackers").set_defaults(func=list_trackers)
    s = verbs.add_parser("remove", parents=[common], help="remove a tracker (its issues stay where they are)")
    s.add_argument("name", metavar="NAME")
    s.set_defaults(func=remove_tracker)
    connection_secrets.register(
        verbs,
        common,
        "tracker",
        give=connection_secrets.give_connection("tracker"),
        trust=connection_secrets.trust_connection("tracker"),
    )


def _fields(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--owner", metavar="NAME")
    parser.add_argument("--due", metavar="DAY", help="2026-12-05, or 7d / 2w from today")
    parser.add_argument("--priority", metavar="P1…P4", help=f"{', '.join(PRIORITIES)} (P1 most urgent)")
    parser.add_argument("--type", choices=TYPES)
    parser.add_argument("--finding", metavar="TEXT", help="the finding it answers")
    parser.add_argument("--team", metavar="TEAM", help="the owner's team")


# -- action items ----------------------------------------------------------------------------------


def listing(session: Session, args: argparse.Namespace) -> int:
    from commander.app import actions

    console = session.console
    owner = "" if args.owner is not None and args.owner.strip().lower() == "none" else args.owner
    wanted = ActionFilter(
        owner=owner,
        team=args.team,
        type=args.type,
        incident_id=session.resolve(args.incident).id if args.incident else None,
        status=None if args.status == "all" else args.status,
        overdue_only=args.overdue,
    )
    found = actions.listing(console, wanted)
    references = {s.id: s.reference for s in console.incidents()}
    today = actions.today(console)
    if args.json:
        print(json_text(json.dumps([_json(item, references, today) for item in found], ensure_ascii=False, indent=2)))
        return 0
    if not found:
        print("No overdue action items." if args.overdue else "No action items match.")
        return 0
    rows = [
        (
            item.reference,
            _due(item, today),
            item.priority,
            item.type,
            item.owner or "(none)",
            references.get(item.incident_id, item.incident_id[:8]),
            item.status_label,
            item.title,
        )
        for item in found
    ]
    limit = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    for line in table(("ID", "DUE", "PRI", "TYPE", "OWNER", "INCIDENT", "STATUS", "TITLE"), rows, limit=limit):
        print(line)
    return 0


def _due(item: ActionItem, today: date) -> str:
    late = (today - item.due).days
    return f"{item.due.isoformat()} ({late}d late)" if item.overdue(today) else item.due.isoformat()


def _json(item: ActionItem, references: dict[str, str], today: date) -> dict[str, Any]:
    return {
        "id": item.id,
        "reference": item.reference,
        "incident": references.get(item.incident_id),
        "incident_id": item.incident_id,
        "title": item.title,
        "owner": item.owner,
        "team": item.team,
        "due": item.due.isoformat(),
        "priority": item.priority,
        "type": item.type,
        "status": item.status,
        "reason": item.reason,
        "overdue": item.overdue(today),
        "source": item.source,
        "finding": item.finding,
        "created_by": item.created_by,
        "created_at": item.created_at.isoformat(),
        "trackers": [
            {
                "tracker": link.tracker,
                "key": link.key,
                "url": link.url,
                "external_status": link.external_status,
                "done": link.done,
            }
            for link in item.links.values()
        ],
    }


def add(session: Session, args: argparse.Namespace) -> int:
    from commander.app import actions

    console = session.console
    incident = session.resolve(args.ref)
    form = NewAction(
        args.title,
        owner=args.owner or "",
        team=args.team or "",
        finding=args.finding or "",
        due=typed_day(args.due, actions.today(console)) if args.due else None,
        priority=args.priority or DEFAULT_PRIORITY,
        type=args.type or DEFAULT_TYPE,
        source=args.source,
    )
    item = actions.create(console, incident.id, form)
    print(item.reference)
    return 0


def edit(session: Session, args: argparse.Namespace) -> int:
    from commander.app import actions

    changes: dict[str, object] = {
        name: getattr(args, name)
        for name in ("title", "owner", "priority", "type", "finding", "team")
        if getattr(args, name) is not None
    }
    if args.due is not None:
        changes["due"] = typed_day(args.due, actions.today(session.console))
    if not changes:
        raise Refusal(
            "Nothing to change: give at least one of --title, --owner, --due, --priority, --type, --finding, --team."
        )
    item = actions.update(session.console, args.id, **changes)
    print(f"{item.reference}  changed: {', '.join(changes)}")
    return 0


def _status(session: Session, reference: str, status: str, reason: str = "") -> int:
    from commander.app import actions

    changes: dict[str, object] = {"status": status}
    if status == "wont_do":
        changes["reason"] = reason
    item = actions.update(session.console, reference, **changes)
    print(f"{item.reference}  {item.status_label}: {clean(item.title)}")
    return 0


def push(session: Session, args: argparse.Namespace) -> int:
    from commander.app import actions

    item, created = actions.push(
        session.console,
        args.id,
        args.to,
        session.secrets,
        again=args.again,
        on_wait=lambda detail: print(f"  {clean(args.to)}: {clean(detail)}", file=sys.stderr),
    )
    print(f"{item.reference}  pushed to {clean(args.to)} as {clean(created.key)}  {clean(created.url)}")
    return 0


def refresh(session: Session, args: argparse.Namespace) -> int:
    from commander.app import actions

    results = actions.refresh(session.console, session.secrets, args.id)
    if not results:
        print("No open action item has been pushed to a tracker: nothing to refresh.")
        return 0
    failed = 0
    for result in results:
        where = f"{result.check.item.reference}  {clean(result.check.link.tracker)} {clean(result.check.link.key)}"
        if result.status is None:
            failed += 1
            print(f"{where}: not checked: {clean(result.problem)}", file=sys.stderr)
        else:
            print(f"{where}: {clean(result.status.name)}" + ("  (done there)" if result.status.done else ""))
    return 1 if failed else 0


# -- trackers --------------------------------------------------------------------------------------


def add_tracker(session: Session, args: argparse.Namespace) -> int:
    from commander.app import actions
    from commander.domain.actions.trackers import FAMILY

    return add_connection(session, args, FAMILY, actions.add)


def list_trackers(session: Session, args: argparse.Namespace) -> int:
    from commander.app import actions
    from commander.app.setup import connections

    secrets = session.secrets
    found = actions.trackers(session.console)
    if not found:
        print(
            "No trackers yet. Add one with `commander tracker add jira ops-jira --option site=https://… "
            "--option email=… --option project=OPS`."
        )
        return 0
    rows = [
        (
            config.name,
            config.kind,
            ", ".join(f"{k}={v}" for k, v in config.options.items()),
            connections.state_text(connections.state_of(connections.guarded(config), secrets)),
        )
        for config in found.values()
    ]
    for line in table(("NAME", "KIND", "SETTINGS", "SECRET"), rows):
        print(line)
    return 0


def remove_tracker(session: Session, args: argparse.Namespace) -> int:
    from commander.app import actions

    actions.remove(session.console, args.name, session.secrets)
    print(f"Removed {clean(args.name)}.")
    return 0
