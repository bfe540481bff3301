"""`commander oncall …`, `commander schedule …` and `commander escalation …`: who is on call, overrides, the
.ics export, the fairness report, and the schedules and escalation policies as a YAML file.

Times are shown in this console's zone, with the zone's abbreviation; handoffs follow each schedule's zone.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from commander.cli.render import clean, json_text, table
from commander.cli.session import YEAR_AHEAD, Refusal, Session
from commander.domain.core.when import format_duration, iso

if TYPE_CHECKING:
    Parsers = argparse._SubParsersAction[argparse.ArgumentParser]
    from commander.app.oncall import OnCallNow
    from commander.domain.oncall.schedules import EscalationPolicy, Override, Shift

SHORT_ID = 13


def register(commands: Parsers, common: argparse.ArgumentParser) -> None:
    _register_oncall(commands, common)
    _register_schedule(commands, common)
    _register_escalation(commands, common)


def _register_oncall(commands: Parsers, common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "oncall",
        parents=[common],
        help="who is on call; overrides, .ics export, fairness",
        description="Who is on call now and next, overrides, a schedule as an iCalendar file, "
        "and a report of on-call hours per person.",
    )
    actions = p.add_subparsers(dest="oncall_action", metavar="ACTION", required=True)
    for name, about, func in (
        ("now", "who is on call now, per schedule", now),
        ("next", "who takes over next, and when, per schedule", upcoming),
    ):
        s = actions.add_parser(name, parents=[common], help=about)
        s.add_argument("schedule", metavar="SCHEDULE", nargs="?", help="one schedule (default: every schedule)")
        s.add_argument("--at", metavar="TIME", help="at another time than now")
        s.add_argument("--json", action="store_true", help="print JSON instead of a table")
        s.set_defaults(func=func)
    s = actions.add_parser("export", parents=[common], help="a schedule's shifts as an iCalendar (.ics) file")
    s.add_argument("schedule", metavar="SCHEDULE")
    s.add_argument("--person", metavar="NAME", help="only this person's shifts")
    s.add_argument("--out", metavar="FILE.ics", help="write here (default: print)")
    s.add_argument("--from", dest="start", metavar="DATE", help="first day (default: today)")
    s.add_argument("--weeks", type=int, default=12, metavar="N", help="how many weeks (default: 12)")
    s.set_defaults(func=export)
    s = actions.add_parser("report", parents=[common], help="on-call hours per person, off hours split out")
    s.add_argument("--since", required=True, metavar="DATE", help="start of the period, e.g. 2026-11-01")
    s.add_argument("--until", metavar="DATE", help="end of the period (default: now)")
    s.add_argument("--schedule", metavar="SCHEDULE", help="one schedule (default: every schedule)")
    s.add_argument("--json", action="store_true", help="print JSON instead of a table")
    s.set_defaults(func=report)
    s = actions.add_parser("override", parents=[common], help="put someone on a schedule for a while")
    s.add_argument("schedule", metavar="SCHEDULE")
    s.add_argument("person", metavar="PERSON", help="who takes the schedule")
    s.add_argument("--from", dest="start", required=True, metavar="TIME", help="e.g. '2026-11-27 18:00'")
    s.add_argument("--to", dest="end", required=True, metavar="TIME", help="e.g. '2026-11-30 09:00'")
    s.add_argument(
        "--covers", default="", metavar="PERSON", help="only while this person would be on call (default: whoever is)"
    )
    s.set_defaults(func=override)
    s = actions.add_parser("overrides", parents=[common], help="the overrides not yet over")
    s.add_argument("schedule", metavar="SCHEDULE", nargs="?")
    s.add_argument("--all", action="store_true", help="past ones too")
    s.add_argument("--json", action="store_true", help="print JSON instead of a table")
    s.set_defaults(func=list_overrides)
    s = actions.add_parser("cancel-override", parents=[common], help="remove an override")
    s.add_argument("override", metavar="OVERRIDE_ID_PREFIX", help="its id, or its start as `oncall overrides` shows")
    s.set_defaults(func=cancel_override)
    s = actions.add_parser("resolve", parents=[common], help="whom paging a service reaches now")
    s.add_argument("service", metavar="SERVICE")
    s.add_argument("--level", type=int, default=1, metavar="N", help="escalation level (default: 1)")
    s.add_argument("--json", action="store_true", help="print JSON instead of a table")
    s.set_defaults(func=resolve)


def _register_schedule(commands: Parsers, common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "schedule",
        parents=[common],
        help="on-call schedules: import, export, list, remove",
        description="On-call schedules in YAML (docs/oncall.md). Import also takes the "
        "file's escalation policies and services.",
    )
    actions = p.add_subparsers(dest="schedule_action", metavar="ACTION", required=True)
    s = actions.add_parser("import", parents=[common], help="save every schedule, policy and service in a file")
    s.add_argument("file", metavar="FILE.yaml", help="- reads standard input")
    s.set_defaults(func=import_file)
    s = actions.add_parser("export", parents=[common], help="schedules as YAML (all, with policies and services)")
    s.add_argument("names", metavar="NAME", nargs="*", help="these schedules only")
    s.add_argument("--out", metavar="FILE.yaml", help="write here (default: print)")
    s.set_defaults(func=export_file)
    s = actions.add_parser("list", parents=[common], help="the schedules and who is on each now")
    s.add_argument("--json", action="store_true", help="print JSON instead of a table")
    s.set_defaults(func=list_schedules)
    s = actions.add_parser("remove", parents=[common], help="remove a schedule and its overrides")
    s.add_argument("name", metavar="NAME")
    s.set_defaults(func=remove_schedule)


def _register_escalation(commands: Parsers, common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "escalation",
        parents=[common],
        help="escalation policies and the services they page",
        description="Escalation policies: levels of schedules or people, a delay before the "
        "next level, a repeat count; and which policy each service pages.",
    )
    actions = p.add_subparsers(dest="escalation_action", metavar="ACTION", required=True)
    s = actions.add_parser("import", parents=[common], help="the same as `schedule import`: the whole file")
    s.add_argument("file", metavar="FILE.yaml", help="- reads standard input")
    s.set_defaults(func=import_file)
    s = actions.add_parser("list", parents=[common], help="each policy's levels and services")
    s.add_argument("--json", action="store_true", help="print JSON instead of text")
    s.set_defaults(func=list_policies)
    s = actions.add_parser("route", parents=[common], help="page a policy for a service")
    s.add_argument("service", metavar="SERVICE")
    target = s.add_mutually_exclusive_group(required=True)
    target.add_argument("policy", metavar="POLICY", nargs="?")
    target.add_argument("--none", action="store_true", help="stop paging for the service")
    s.set_defaults(func=route)
    s = actions.add_parser("remove", parents=[common], help="remove a policy no service pages")
    s.add_argument("name", metavar="NAME")
    s.set_defaults(func=remove_policy)


# -- oncall --------------------------------------------------------------------------------------------


def now(session: Session, args: argparse.Namespace) -> int:
    return _on_call(session, args, upcoming=False)


def upcoming(session: Session, args: argparse.Namespace) -> int:
    return _on_call(session, args, upcoming=True)


def _on_call(session: Session, args: argparse.Namespace, *, upcoming: bool) -> int:
    """`oncall now` (the shift under way) and `oncall next` (the one after it): one table each."""
    from commander.app import oncall

    console = session.console
    at = session.when(args.at, ahead=YEAR_AHEAD) if args.at else console.now()
    found = oncall.now(console, args.schedule, at)
    if args.json:
        return _print_json([_now_json(item) for item in found])
    if not found:
        return _no_schedules()
    rows = []
    for item in found:
        shift = item.upcoming if upcoming else item.current
        if shift is None:
            why = "no one else within 90 days" if upcoming else _nobody_why(item)
            rows.append((item.schedule.name, "nobody", "", "", why))
        elif upcoming:
            rows.append(
                (
                    item.schedule.name,
                    shift.person,
                    _when(shift.start, console.zone),
                    f"in {format_duration(shift.start - at)}",
                    shift.source,
                )
            )
        else:
            rows.append(
                (
                    item.schedule.name,
                    shift.person,
                    _when(shift.start, console.zone),
                    _when(shift.end, console.zone),
                    shift.source,
                )
            )
    headers = (
        ("SCHEDULE", "NEXT", "FROM", "WHEN", "VIA") if upcoming else ("SCHEDULE", "ON CALL", "SINCE", "UNTIL", "VIA")
    )
    for line in table(headers, rows):
        print(line)
    return 0


def export(session: Session, args: argparse.Namespace) -> int:
    from commander.app import oncall
    from commander.cli.outfile import write_out

    console = session.console
    if not 1 <= args.weeks <= 104:
        raise Refusal("--weeks takes 1 to 104 weeks.")
    start = session.when(args.start, ahead=YEAR_AHEAD) if args.start else None
    begin = start or console.now().astimezone(console.zone).replace(hour=0, minute=0, second=0, microsecond=0)
    text, count = oncall.calendar(
        console, args.schedule, start=begin, end=begin + timedelta(weeks=args.weeks), person=args.person
    )
    if args.out is None:
        sys.stdout.write(text)
        return 0
    write_out(Path(args.out), text)
    whose = f" of {clean(args.person)}'s" if args.person else ""
    print(f"Wrote {count}{whose} shifts ({args.weeks} weeks) to {args.out}.")
    return 0


def report(session: Session, args: argparse.Namespace) -> int:
    from commander.app import oncall

    console = session.console
    since = session.when(args.since)
    until = session.when(args.until) if args.until else console.now()
    rows = oncall.fairness_report(console, since, until, args.schedule)
    if args.json:
        return _print_json(
            {
                "since": iso(since),
                "until": iso(until),
                "people": [
                    {
                        "person": row.person,
                        "shifts": row.shifts,
                        "hours": _hours(row.total),
                        "business_hours": _hours(row.business),
                        "off_hours": _hours(row.off_hours),
                        "by_schedule": {name: _hours(spent) for name, spent in row.by_schedule.items()},
                    }
                    for row in rows
                ],
            }
        )
    if not rows:
        print("Nobody was on call in that period.")
        return 0
    print(
        f"On call from {_when(since, console.zone)} to {_when(until, console.zone)}; off hours are outside "
        f"09:00-18:00 Monday to Friday in each schedule's zone."
    )
    lines = table(
        ("PERSON", "SHIFTS", "HOURS", "BUSINESS", "OFF HOURS", "OFF %"),
        [
            (
                row.person,
                str(row.shifts),
                f"{_hours(row.total):.1f}",
                f"{_hours(row.business):.1f}",
                f"{_hours(row.off_hours):.1f}",
                f"{100 * row.off_hours / row.total:.0f}%" if row.total else "-",
            )
            for row in rows
        ],
    )
    for line in lines:
        print(line)
    return 0


def override(session: Session, args: argparse.Namespace) -> int:
    from commander.app import oncall

    console = session.console
    added = oncall.add_override(
        console,
        args.schedule,
        args.person,
        session.when(args.start, ahead=YEAR_AHEAD),
        session.when(args.end, ahead=YEAR_AHEAD),
        args.covers,
    )
    print(f"Override {added.id[:SHORT_ID]}: {_override_text(added, console.zone)}.")
    return 0


def list_overrides(session: Session, args: argparse.Namespace) -> int:
    from commander.app import oncall

    console = session.console
    found = oncall.settings(console)
    chosen = [found.schedule(args.schedule)] if args.schedule else list(found.schedules.values())
    items = [o for s in chosen for o in s.overrides if args.all or o.end > console.now()]
    if args.json:
        return _print_json(
            [
                {
                    "id": o.id,
                    "schedule": o.schedule,
                    "person": o.person,
                    "start": iso(o.start),
                    "end": iso(o.end),
                    "covers": o.covers or None,
                    "added_by": o.added_by,
                }
                for o in items
            ]
        )
    if not items:
        print("No overrides. `commander oncall override SCHEDULE PERSON --from … --to …` adds one.")
        return 0
    rows = [
        (
            o.id[:SHORT_ID],
            o.schedule,
            o.person,
            _when(o.start, console.zone),
            _when(o.end, console.zone),
            o.covers or "whoever is on",
            o.added_by,
        )
        for o in items
    ]
    for line in table(("ID", "SCHEDULE", "PERSON", "FROM", "TO", "COVERS", "ADDED BY"), rows):
        print(line)
    return 0


def cancel_override(session: Session, args: argparse.Namespace) -> int:
    from commander.app import oncall

    removed = oncall.remove_override(session.console, args.override)
    print(f"Removed the override: {_override_text(removed, session.console.zone)}.")
    return 0


def resolve(session: Session, args: argparse.Namespace) -> int:
    from commander.app import oncall

    console = session.console
    policy = oncall.settings(console).policy_for(args.service)
    if not 1 <= args.level <= len(policy.levels):
        raise Refusal(f"'{policy.name}' has levels 1 to {len(policy.levels)}. Choose one of them with --level.")
    found = oncall.resolve_oncall(console, args.service, level=args.level - 1)
    if args.json:
        return _print_json(
            {
                "service": args.service,
                "policy": policy.name,
                "level": args.level,
                "responders": [{"person": r.person, "via": r.via or None} for r in found],
            }
        )
    if not found:
        print(
            f"Level {args.level} of {clean(policy.name)} reaches nobody right now: its schedules have nobody on "
            f"call. The next level follows after {policy.levels[args.level - 1].delay_minutes} minutes."
        )
        return 0
    print(f"{clean(args.service)} pages {clean(policy.name)}, level {args.level}:")
    for responder in found:
        print(f"  {clean(responder.person)}" + (f" (on call for {clean(responder.via)})" if responder.via else ""))
    return 0


# -- schedule and escalation ---------------------------------------------------------------------------


def import_file(session: Session, args: argparse.Namespace) -> int:
    from commander.app import oncall

    if args.file == "-":
        text, source = sys.stdin.read(), "Standard input"
    else:
        try:
            text, source = Path(args.file).expanduser().read_text(encoding="utf-8"), args.file
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            raise Refusal(f"Cannot read {args.file}: {reason}. Check the path.") from error
    imported = oncall.import_yaml(session.console, text, source=source)
    print(
        f"Imported {imported} from {source}."
        if imported.schedules + imported.policies + imported.services
        else f"Nothing changed: everything in {source} is already as it says."
    )
    return 0


def export_file(session: Session, args: argparse.Namespace) -> int:
    from commander.app import oncall
    from commander.cli.outfile import write_out

    text = oncall.export_yaml(session.console, args.names)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    write_out(Path(args.out), text)
    print(f"Wrote {args.out}.")
    return 0


def list_schedules(session: Session, args: argparse.Namespace) -> int:
    from commander.app import oncall

    console = session.console
    found = oncall.now(console)
    if args.json:
        return _print_json(
            [
                {
                    "name": item.schedule.name,
                    "time_zone": item.schedule.zone.key,
                    "layers": [layer.name for layer in item.schedule.layers],
                    "on_call": item.person,
                }
                for item in found
            ]
        )
    if not found:
        return _no_schedules()
    rows = [
        (
            item.schedule.name,
            item.schedule.zone.key,
            ", ".join(f"{layer.name} ({layer.rotation}, {len(layer.participants)})" for layer in item.schedule.layers),
            item.person or "nobody",
        )
        for item in found
    ]
    for line in table(("SCHEDULE", "ZONE", "LAYERS (ROTATION, PEOPLE)", "ON CALL NOW"), rows):
        print(line)
    return 0


def remove_schedule(session: Session, args: argparse.Namespace) -> int:
    from commander.app import oncall

    oncall.remove_schedule(session.console, args.name)
    print(f"Removed the schedule {clean(args.name)}.")
    return 0


def list_policies(session: Session, args: argparse.Namespace) -> int:
    from commander.app import oncall
    from commander.domain.oncall.format import policy_to_dict

    found = oncall.settings(session.console)
    services = {key: [s for s, p in found.routes.values() if p.casefold() == key] for key in found.policies}
    if args.json:
        return _print_json(
            [{**policy_to_dict(policy), "services": services[key]} for key, policy in found.policies.items()]
        )
    if not found.policies:
        print("No escalation policies yet. `commander escalation import FILE.yaml` adds them (docs/oncall.md).")
        return 0
    for key, policy in found.policies.items():
        for line in _policy_lines(policy, services[key]):
            print(clean(line))
    return 0


def route(session: Session, args: argparse.Namespace) -> int:
    from commander.app import oncall

    changed = oncall.route_service(session.console, args.service, "" if args.none else args.policy)
    target = "no escalation policy" if args.none else args.policy
    print(f"{clean(args.service)} pages {clean(target)}." + ("" if changed else " (It already did.)"))
    return 0


def remove_policy(session: Session, args: argparse.Namespace) -> int:
    from commander.app import oncall

    oncall.remove_policy(session.console, args.name)
    print(f"Removed the escalation policy {clean(args.name)}.")
    return 0


# -- helpers -------------------------------------------------------------------------------------------


def _policy_lines(policy: EscalationPolicy, services: list[str]) -> list[str]:
    repeats = f"runs {policy.repeat + 1} times" if policy.repeat else "runs once"
    lines = [f"{policy.name}  ({repeats}; services: {', '.join(services) or 'none'})"]
    for number, level in enumerate(policy.levels, start=1):
        targets = ", ".join(f"{t.kind} {t.name}" for t in level.targets)
        lines.append(f"  {number}. {targets}; next level after {level.delay_minutes} min")
    return lines


def _override_text(item: Override, zone: tzinfo) -> str:
    covering = f", covering {item.covers}" if item.covers else ""
    return clean(
        f"{item.person} on {item.schedule} from {_when(item.start, zone)} to {_when(item.end, zone)}{covering}"
    )


def _now_json(item: OnCallNow) -> dict[str, Any]:
    return {
        "schedule": item.schedule.name,
        "time_zone": item.schedule.zone.key,
        "on_call": _shift_json(item.current),
        "next": _shift_json(item.upcoming),
        "layers": [{"layer": layer, "person": person} for layer, person in item.layers],
    }


def _shift_json(shift: Shift | None) -> dict[str, Any] | None:
    if shift is None:
        return None
    return {
        "person": shift.person,
        "start": iso(shift.start),
        "end": iso(shift.end),
        "layer": shift.layer or None,
        "override": shift.override or None,
        "covers": shift.covers or None,
    }


def _nobody_why(item: OnCallNow) -> str:
    return "outside every layer's hours" if item.schedule.layers else "no layers"


def _no_schedules() -> int:
    print("No on-call schedules yet. `commander schedule import FILE.yaml` adds them (docs/oncall.md).")
    return 0


def _when(moment: datetime, zone: tzinfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.strftime('%a %Y-%m-%d %H:%M')} {local.tzname() or ''}".rstrip()


def _hours(spent: timedelta) -> float:
    return round(spent.total_seconds() / 3600, 2)


def _print_json(data: Any) -> int:
    print(json_text(json.dumps(data, ensure_ascii=False, indent=2)))
    return 0
