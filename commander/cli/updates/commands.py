"""`commander update templates|template|preview|record`: stakeholder updates from the terminal.

`update template save` takes the template's text from a file or standard input, so a team can keep its
templates in a repository and load them with one command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from commander.app.updates import timers
from commander.cli.render import clean, table, terminal_text
from commander.cli.session import Refusal, Session


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "update",
        parents=[common],
        help="stakeholder updates: templates, preview, record",
        description="Fill an update template from the incident, and record updates sent "
        "(the countdown to the next one starts again).",
    )
    actions = p.add_subparsers(dest="update_action", metavar="ACTION", required=True)
    actions.add_parser("templates", parents=[common], help="the update templates: shipped, team, edited").set_defaults(
        func=templates
    )
    _register_template(actions, common)
    s = actions.add_parser("preview", parents=[common], help="show an update filled from the incident")
    s.add_argument("ref", metavar="REF", nargs="?", help="the incident; leave it out to fill a sample incident")
    s.add_argument("--template", required=True, metavar="KEY", help="initial, periodic, resolution ...")
    s.add_argument(
        "--to",
        metavar="NAME",
        help="show exactly what this destination would be sent (requests and bodies, secret masked); nothing is sent",
    )
    s.set_defaults(func=preview)
    s = actions.add_parser("record", parents=[common], help="record that an update went out")
    s.add_argument("ref", metavar="REF")
    s.add_argument("--to", required=True, metavar="AUDIENCE", help="where it went: #incidents, status page ...")
    s.add_argument("--summary", default="", help="what it said (default: the template's text, if given)")
    s.add_argument("--template", metavar="KEY", help="record the filled template as what was said")
    s.add_argument("--at", metavar="TIME", help="when it went out, if not now")
    s.set_defaults(func=record)
    from commander.cli.updates.destinations import register_send

    register_send(actions, common)
    s = actions.add_parser("due", parents=[common], help="when the next update is due")
    s.add_argument("ref", metavar="REF")
    s.set_defaults(func=due)


def _register_template(
    actions: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = actions.add_parser(
        "template",
        parents=[common],
        help="save, show or remove one of the team's templates",
        description="The team's templates are shared through the store. Saving under a "
        "shipped template's key replaces it for everyone; removing brings it back.",
    )
    actions_ = p.add_subparsers(dest="template_action", metavar="ACTION", required=True)
    s = actions_.add_parser("save", parents=[common], help="save a template (Jinja2) from a file or stdin")
    s.add_argument("key", metavar="KEY", help="a short name without spaces, e.g. db_outage")
    s.add_argument("--file", required=True, metavar="PATH|-", help="the template's text; - reads stdin")
    s.add_argument("--name", help="what people see in the list (default: the current name)")
    s.add_argument("--audience", help="who reads it: customers, executives ... (default: unchanged)")
    s.add_argument("--stage", help="when it is sent, e.g. 'every cadence' (default: unchanged)")
    s.set_defaults(func=save_template)
    s = actions_.add_parser("show", parents=[common], help="print a template's text, ready to edit and save")
    s.add_argument("key", metavar="KEY")
    s.set_defaults(func=show_template)
    s = actions_.add_parser("remove", parents=[common], help="remove a team template (or restore a shipped one)")
    s.add_argument("key", metavar="KEY")
    s.set_defaults(func=remove_template)


def templates(session: Session, args: argparse.Namespace) -> int:
    """Every template with where it comes from; one that cannot fill the sample incident says why."""
    from commander.app.updates import templates as updates

    found = updates.templates(session.console)
    broken = updates.problems(session.console, None, found)
    rows = [
        (
            key,
            each.origin,
            each.audience or "-",
            each.name
            + (f" ({each.stage})" if each.stage else "")
            + (f"  [cannot be used: {broken[key]}]" if key in broken else ""),
        )
        for key, each in found.items()
    ]
    for line in table(("KEY", "FROM", "AUDIENCE", "NAME"), rows):
        print(line)
    return 0


def save_template(session: Session, args: argparse.Namespace) -> int:
    from commander.app.updates import templates as updates

    body = _read_text(args.file)
    current = updates.templates(session.console).get(args.key.strip().lower())
    if current is None and args.name is None:
        raise Refusal(
            f"'{clean(args.key)}' is a new template: give it a name with --name, e.g. --name 'Database outage'."
        )
    saved = updates.save_template(
        session.console,
        args.key,
        body=body,
        name=args.name if args.name is not None else current.name if current else "",
        audience=args.audience if args.audience is not None else current.audience if current else "",
        stage=args.stage if args.stage is not None else current.stage if current else "",
    )
    print(f"Saved {clean(saved.key)} ({saved.origin}): {clean(saved.name)}.")
    return 0


def show_template(session: Session, args: argparse.Namespace) -> int:
    from commander.app.updates import templates as updates

    source = updates.template(session.console, args.key).source
    print(terminal_text(source), end="" if source.endswith("\n") else "\n")
    return 0


def remove_template(session: Session, args: argparse.Namespace) -> int:
    from commander.app.updates import templates as updates

    back = updates.remove_template(session.console, args.key)
    print(f"Removed {clean(args.key)}." + (" The shipped version is back." if back else ""))
    return 0


def _read_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise Refusal(
            f"Cannot read the template from {path}: {getattr(error, 'strerror', None) or error}. "
            f"Check the path (or use --file - to read standard input)."
        ) from error


def preview(session: Session, args: argparse.Namespace) -> int:
    from commander.app.updates.templates import preview as fill

    incident_id = session.resolve(args.ref).id if args.ref else None
    if args.to:
        from commander.app.updates.publishing import what_goes_where

        print(terminal_text(what_goes_where(session.console, incident_id, args.template, args.to, session.secrets)))
        return 0
    print(terminal_text(fill(session.console, incident_id, args.template)), end="")
    return 0


def record(session: Session, args: argparse.Namespace) -> int:
    from commander.app.updates.templates import preview as fill

    incident = session.resolve(args.ref)
    summary = args.summary or (fill(session.console, incident.id, args.template) if args.template else "")
    at = session.when(args.at) if args.at else None
    timers.record_update(session.console, incident.id, args.to, summary, at)
    return due(session, args)


def due(session: Session, args: argparse.Namespace) -> int:
    console = session.console
    incident = session.resolve(args.ref)
    next_one = timers.next_update(console, incident.id)
    if next_one.due is None:
        print(f"{incident.reference}  no update due ({incident.severity}, {incident.status})")
        return 0
    left = next_one.due - console.now()
    when = console.time_format(next_one.due)
    state = "OVERDUE by" if left.total_seconds() < 0 else "due in"
    from commander.domain.core.when import format_duration

    print(
        f"{incident.reference}  next update {state} {format_duration(abs(left))} ({when})"
        + (" (snoozed)" if next_one.snoozed else "")
    )
    return 0
