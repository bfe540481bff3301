"""`commander timer set|list|cancel`: custom timers ("check the rollback in 10 minutes") from the terminal."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any

from commander.app.updates import timers
from commander.cli.render import clean, json_text, local_time, table
from commander.cli.session import Session
from commander.domain.core.when import format_duration, iso
from commander.domain.incident.state import CustomTimer, IncidentState

SHORT_ID = 13  # characters of a timer's id shown (to the millisecond it was set), more if two share them


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "timer",
        parents=[common],
        help="custom timers: set, list, cancel",
        description="Timers every console counts down, such as 'check the rollback in 10 "
        "minutes'. The window alerts when one expires and the timeline "
        "records it.",
    )
    actions = p.add_subparsers(dest="timer_action", metavar="ACTION", required=True)
    s = actions.add_parser("set", parents=[common], help="set a timer: MINUTES from now (1 to 1440)")
    s.add_argument("ref", metavar="REF")
    s.add_argument("minutes", metavar="MINUTES", type=int, help="how long from now, in minutes")
    s.add_argument("label", metavar="LABEL", nargs="+", help="what to do when it expires")
    s.set_defaults(func=set_timer)
    s = actions.add_parser("list", parents=[common], help="the incident's timers, running and done")
    s.add_argument("ref", metavar="REF")
    s.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    s.set_defaults(func=list_timers)
    s = actions.add_parser("cancel", parents=[common], help="cancel a running timer or dismiss an expired one")
    s.add_argument("ref", metavar="REF")
    s.add_argument("timer", metavar="TIMER_ID_PREFIX", help="the timer's id, or its start as `timer list` shows")
    s.set_defaults(func=cancel)


def set_timer(session: Session, args: argparse.Namespace) -> int:
    console = session.console
    incident = session.resolve(args.ref)
    [event] = timers.set_timer(console, incident.id, " ".join(args.label), args.minutes)
    state = console.state(incident.id)
    timer = state.timers[event.id]
    print(
        f"{incident.reference}  timer {_short_ids(state)[timer.id]} set: "
        f"{clean(timer.label)}, due {local_time(timer.due, console.zone)} "
        f"(in {format_duration(timer.due - console.now())})"
    )
    return 0


def list_timers(session: Session, args: argparse.Namespace) -> int:
    console = session.console
    incident = session.resolve(args.ref)
    state, now = console.state(incident.id), console.now()
    if args.json:
        print(json_text(json.dumps([_timer_json(t, now) for t in state.timers.values()], ensure_ascii=False, indent=2)))
        return 0
    if not state.timers:
        print(
            f"{incident.reference}  no timers. `commander timer set {incident.reference} 10 check the "
            f"rollback` sets one."
        )
        return 0
    short = _short_ids(state)
    rows = [
        (short[t.id], local_time(t.due, console.zone), _state(t, now), t.set_by.name, t.label)
        for t in state.timers.values()
    ]
    for line in table(("ID", "DUE", "STATE", "SET BY", "LABEL"), rows):
        print(line)
    return 0


def cancel(session: Session, args: argparse.Namespace) -> int:
    console = session.console
    incident = session.resolve(args.ref)
    [event] = timers.cancel_timer(console, incident.id, args.timer)
    timer = console.state(incident.id).timers[event.payload["timer"]]
    print(f"{incident.reference}  timer {'dismissed' if timer.dismissed else 'cancelled'}: {clean(timer.label)}")
    return 0


def _state(timer: CustomTimer, now: datetime) -> str:
    """What a person needs to know at a glance: how long is left, or how it ended."""
    if timer.dismissed:
        return f"expired, dismissed by {timer.cancelled_by}"
    if timer.cancelled_by is not None:
        return f"cancelled by {timer.cancelled_by}"
    if timer.expired_at is not None or timer.due <= now:
        return f"EXPIRED {format_duration(now - timer.due)} ago"
    return f"running, {format_duration(timer.due - now)} left"


def _timer_json(timer: CustomTimer, now: datetime) -> dict[str, Any]:
    ended = "dismissed" if timer.dismissed else "cancelled" if timer.cancelled_by else None
    return {
        "id": timer.id,
        "label": timer.label,
        "due": iso(timer.due),
        "set_by": timer.set_by.name,
        "set_at": iso(timer.set_at),
        "running": timer.running and timer.due > now,
        "expired": timer.expired_at is not None or (timer.running and timer.due <= now),
        "ended": ended,
        "ended_by": timer.cancelled_by,
        "ended_at": iso(timer.cancelled_at) if timer.cancelled_at else None,
    }


def _short_ids(state: IncidentState) -> dict[str, str]:
    """Each timer's id cut to SHORT_ID characters, or longer where that would not tell two apart (ids are
    time-ordered: their first 13 characters are the millisecond they were set)."""
    ids = list(state.timers)
    short = {}
    for timer_id in ids:
        length = SHORT_ID
        while any(other != timer_id and other.startswith(timer_id[:length]) for other in ids):
            length += 1
        short[timer_id] = timer_id[:length]
    return short
