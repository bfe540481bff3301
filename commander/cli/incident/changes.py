"""Changing a live incident: `note`, `severity`, `status`, `assign`, `milestone`.

Each prints what was recorded, as the timeline words it (a note prints its id, for scripts).
"""

from __future__ import annotations

import argparse
import sys

from commander.app import incident as app_incident
from commander.app import roles, timeline
from commander.cli.render import clean
from commander.cli.session import Refusal, Session
from commander.domain.core.events import Event
from commander.store.records import IncidentSummary

_REF_HELP = "the reference or any unambiguous start of it"
_TIME_HELP = "e.g. 09:12, 2026-11-28 09:12, '15m ago'; local time unless it says otherwise"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = commands.add_parser("note", parents=[common], help="add a note to the timeline; prints the note's id")
    p.add_argument("ref", metavar="REF", help=_REF_HELP)
    p.add_argument("text", metavar="TEXT", help="the note; '-' reads it from standard input")
    p.add_argument("--at", metavar="TIME", help="when it happened, if not now (" + _TIME_HELP + ")")
    p.add_argument("--pin", action="store_true", help="pin it as a key finding")
    p.set_defaults(func=note)

    p = commands.add_parser("severity", parents=[common], help="raise or lower the severity")
    p.add_argument("ref", metavar="REF", help=_REF_HELP)
    p.add_argument("severity", metavar="SEV", help="the new severity, e.g. SEV1")
    p.add_argument("--reason", default="", help="why, for the timeline")
    p.set_defaults(func=severity)

    p = commands.add_parser("status", parents=[common], help="change the status (mitigated, resolved ...)")
    p.add_argument("ref", metavar="REF", help=_REF_HELP)
    p.add_argument("status", metavar="STATUS", help="investigating, identified, mitigated, resolved or closed")
    p.add_argument("--at", metavar="TIME", help="when it happened, if not now (" + _TIME_HELP + ")")
    p.add_argument("--reason", default="", help="why, for the timeline")
    p.set_defaults(func=status)

    p = commands.add_parser("assign", parents=[common], help="give a role to a person (or --clear it)")
    p.add_argument("ref", metavar="REF", help=_REF_HELP)
    p.add_argument("role", metavar="ROLE", help="a role by key, name or alias: IC, TL, comms, scribe ...")
    p.add_argument("person", metavar="PERSON", nargs="?", help="who takes the role")
    p.add_argument("--clear", action="store_true", help="leave the role unfilled")
    p.set_defaults(func=assign, parser=p)

    p = commands.add_parser("milestone", parents=[common], help="set a milestone's time (e.g. detected)")
    p.add_argument("ref", metavar="REF", help=_REF_HELP)
    p.add_argument("milestone", metavar="NAME", help="detected, declared, acknowledged, mitigated, resolved or closed")
    p.add_argument("time", metavar="TIME", help=_TIME_HELP)
    p.set_defaults(func=milestone)


def note(session: Session, args: argparse.Namespace) -> int:
    incident = session.resolve(args.ref)
    text = _read_stdin() if args.text == "-" else args.text
    at = session.when(args.at) if args.at else None
    events = timeline.add_note(session.console, incident.id, text, at=at, pinned=args.pin)
    print(events[0].id)
    return 0


def severity(session: Session, args: argparse.Namespace) -> int:
    incident = session.resolve(args.ref)
    return _report(
        session, incident, app_incident.change_severity(session.console, incident.id, args.severity, args.reason)
    )


def status(session: Session, args: argparse.Namespace) -> int:
    incident = session.resolve(args.ref)
    at = session.when(args.at) if args.at else None
    return _report(
        session,
        incident,
        app_incident.change_status(session.console, incident.id, args.status, at=at, reason=args.reason),
    )


def assign(session: Session, args: argparse.Namespace) -> int:
    if args.clear == bool(args.person):
        args.parser.error("give either a PERSON or --clear")  # exits with status 2, like any usage error
    incident = session.resolve(args.ref)
    return _report(
        session, incident, roles.assign(session.console, incident.id, args.role, None if args.clear else args.person)
    )


def milestone(session: Session, args: argparse.Namespace) -> int:
    incident = session.resolve(args.ref)
    at = session.when(args.time)
    return _report(session, incident, app_incident.set_milestone(session.console, incident.id, args.milestone, at))


def _report(session: Session, incident: IncidentSummary, events: list[Event]) -> int:
    view = session.console.view(incident.id)
    for event in events:
        entry = view.entry(event.id)
        print(f"{incident.reference}  {clean(entry.text if entry else event.kind)}")
    return 0


def _read_stdin() -> str:
    try:
        return sys.stdin.read()
    except (OSError, UnicodeDecodeError) as error:
        raise Refusal(
            f"Cannot read the note from standard input: {error}. Pass the text as an argument instead."
        ) from error
