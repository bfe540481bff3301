"""`commander update templates|preview|record`: stakeholder updates from the terminal."""

from __future__ import annotations

import argparse

from commander.cli.render import terminal_text
from commander.cli.session import Session


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser],
             common: argparse.ArgumentParser) -> None:
    p = commands.add_parser("update", parents=[common], help="stakeholder updates: templates, preview, record",
                            description="Fill an update template from the incident, and record updates sent "
                                        "(the countdown to the next one starts again).")
    actions = p.add_subparsers(dest="update_action", metavar="ACTION", required=True)
    actions.add_parser("templates", parents=[common], help="the update templates").set_defaults(func=templates)
    s = actions.add_parser("preview", parents=[common], help="show an update filled from the incident")
    s.add_argument("ref", metavar="REF")
    s.add_argument("--template", required=True, metavar="KEY", help="initial, periodic, resolution ...")
    s.set_defaults(func=preview)
    s = actions.add_parser("record", parents=[common], help="record that an update went out")
    s.add_argument("ref", metavar="REF")
    s.add_argument("--to", required=True, metavar="AUDIENCE", help="where it went: #incidents, status page ...")
    s.add_argument("--summary", default="", help="what it said (default: the template's text, if given)")
    s.add_argument("--template", metavar="KEY", help="record the filled template as what was said")
    s.add_argument("--at", metavar="TIME", help="when it went out, if not now")
    s.set_defaults(func=record)
    from commander.cli.destinations import register_send

    register_send(actions, common)
    s = actions.add_parser("due", parents=[common], help="when the next update is due")
    s.add_argument("ref", metavar="REF")
    s.set_defaults(func=due)


def templates(session: Session, args: argparse.Namespace) -> int:
    from commander.app.updates import shipped_templates

    for key, found in shipped_templates().items():
        print(f"{key:<18} {found.audience:<11} {found.name} ({found.stage})")
    return 0


def preview(session: Session, args: argparse.Namespace) -> int:
    from commander.app.updates import preview as fill

    print(terminal_text(fill(session.console, session.resolve(args.ref).id, args.template)), end="")
    return 0


def record(session: Session, args: argparse.Namespace) -> int:
    from commander.app.updates import preview as fill

    incident = session.resolve(args.ref)
    summary = args.summary or (fill(session.console, incident.id, args.template) if args.template else "")
    at = session.when(args.at) if args.at else None
    session.console.record_update(incident.id, args.to, summary, at)
    return due(session, args)


def due(session: Session, args: argparse.Namespace) -> int:
    console = session.console
    incident = session.resolve(args.ref)
    next_one = console.next_update(incident.id)
    if next_one.due is None:
        print(f"{incident.reference}  no update due ({incident.severity}, {incident.status})")
        return 0
    left = next_one.due - console.now()
    when = console.time_format(next_one.due)
    state = "OVERDUE by" if left.total_seconds() < 0 else "due in"
    from commander.domain.when import format_duration

    print(f"{incident.reference}  next update {state} {format_duration(abs(left))} ({when})"
          + (" (snoozed)" if next_one.snoozed else ""))
    return 0
