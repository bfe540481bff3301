"""`commander report`: incident analytics over a date range, as text, JSON or CSV."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import date, datetime, timedelta

from commander.app import analytics
from commander.cli.render import clean, json_text, table, terminal_text
from commander.cli.session import Session
from commander.domain.analytics.figures import STAGES, Report, ReportFilter
from commander.domain.analytics.formats import duration_text, hours_text, percent_text, to_csv, to_json
from commander.domain.core.errors import DomainError
from commander.domain.core.when import HELP, OutOfRange, check_day
from commander.domain.timeline.export import zone_name

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "report",
        parents=[common],
        help="incident analytics: times to detect ... resolve, counts, load",
        description="Mean and median time to detect, acknowledge, mitigate and resolve (by severity, service "
        "and month), incidents per month, time in each severity, update punctuality, action items, "
        "responder load and noise, over the incidents that started in the range. Drills are left "
        "out unless --include-drills.",
    )
    p.add_argument(
        "--since",
        metavar="DATE",
        help="from this date (local midnight) or time; default: the last 12 months, this one included",
    )
    p.add_argument("--until", metavar="DATE", help="up to and including this date, or up to this time; default: now")
    p.add_argument(
        "--severity",
        action="append",
        default=[],
        metavar="SEV",
        help="only these severities (as the incident list shows them); repeat or separate with commas",
    )
    p.add_argument(
        "--service",
        action="append",
        default=[],
        metavar="NAME",
        help="only incidents naming one of these services; repeat or separate with commas",
    )
    p.add_argument("--include-drills", action="store_true", help="count drills too")
    shape = p.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="every figure as JSON (durations in seconds)")
    shape.add_argument("--csv", action="store_true", help="every figure as one CSV table (durations in minutes)")
    p.set_defaults(func=report)


def report(session: Session, args: argparse.Namespace) -> int:
    console = session.console
    filters = ReportFilter(
        since=_since(session, args.since),
        until=_until(session, args.until),
        severities=frozenset(console.policy.severity(s).key for s in _split(args.severity)),
        services=frozenset(_services(session, _split(args.service))),
        include_drills=args.include_drills,
    )
    if filters.since and filters.until and filters.since >= filters.until:
        raise DomainError("--since is not before --until. Give a range that starts before it ends.")
    result = analytics.report(console, filters)
    if args.json:
        print(json_text(json.dumps(to_json(result), ensure_ascii=False, indent=2)))
    elif args.csv:
        text = to_csv(result)
        sys.stdout.write(terminal_text(text) if sys.stdout.isatty() else text)
    else:
        for line in describe(result):
            print(line)
    return 0


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _since(session: Session, text: str | None) -> datetime:
    if text is None:
        console = session.console
        return _midnight(session, analytics.default_since(console.now().astimezone(console.zone).date()))
    return _moment(session, text)


def _until(session: Session, text: str | None) -> datetime | None:
    if text is None:
        return None
    if _DATE.match(text.strip()):  # a whole day: up to and including it
        return _midnight(session, _date(text) + timedelta(days=1))
    return _moment(session, text)


def _moment(session: Session, text: str) -> datetime:
    if _DATE.match(text.strip()):
        return _midnight(session, _date(text))
    try:
        return session.when(text)
    except OutOfRange:
        raise
    except DomainError:
        raise DomainError(f"'{text}' is not a date Commander can read. Use 2026-01-31; {HELP}") from None


def _date(text: str) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise DomainError(f"'{text}' is not a date in the calendar. Use the form 2026-01-31.") from None
    return check_day(day, text.strip())


def _midnight(session: Session, day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), session.console.zone)


def _services(session: Session, wanted: list[str]) -> list[str]:
    """The services asked for, each one that some incident names (whatever the case)."""
    if not wanted:
        return []
    known = analytics.services(session.console)
    folded = {name.casefold() for name in known}
    unknown = [name for name in wanted if name.casefold() not in folded]
    if unknown:
        listed = ", ".join(known[:12]) + (" …" if len(known) > 12 else "") if known else "none yet"
        raise DomainError(f"No incident names the service '{unknown[0]}'. Services on incidents: {listed}.")
    return wanted


def describe(r: Report) -> list[str]:
    """The report as text for a terminal."""
    zone, f = r.zone, r.filters
    since = f.since.astimezone(zone).strftime("%Y-%m-%d %H:%M") if f.since else "the first incident"
    until = f.until.astimezone(zone).strftime("%Y-%m-%d %H:%M") if f.until else "now"
    narrowed = [*sorted(f.severities), *sorted(f.services)]
    lines = [
        f"Incidents started from {since} to {until} ({zone_name(zone)})"
        + (f", only {', '.join(narrowed)}" if narrowed else "")
        + ("" if f.include_drills else ", drills left out"),
        f"{len(r.facts):,} incident{'' if len(r.facts) == 1 else 's'}: {r.open:,} open, {r.reopened:,} reopened",
    ]
    if not r.facts:
        return [*lines, "", "No incidents in this range. Widen it with --since, or check the filters."]
    lines += ["", "Time from the start of each incident: mean / median (open incidents have no time to resolve)"]
    rows = []
    for g in r.times:
        name = {"all": "all incidents", "service": f"service {g.group}"}.get(g.dimension, g.group)
        rows.append(
            (
                name,
                f"{g.incidents:,}",
                f"{g.open:,}",
                *(f"{duration_text(g.stages[s].mean)} / {duration_text(g.stages[s].median)}" for s in STAGES),
            )
        )
    lines += table(("GROUP", "INCIDENTS", "OPEN", *(s.upper() for s in STAGES)), rows)
    lines += ["", "Incidents started each month, by severity"]
    monthly = r.monthly
    rows = [
        (
            month,
            *(str(monthly.counts[month].get(s, 0)) for s in monthly.severities),
            str(sum(monthly.counts[month].values())),
        )
        for month in monthly.months
    ]
    lines += table(("MONTH", *monthly.severities, "TOTAL"), rows)
    lines += ["", "Time open in each severity"]
    lines += table(
        ("SEVERITY", "TIME", "INCIDENTS"),
        [(s, hours_text(spent), f"{r.entered(s):,}") for s, spent in r.in_severity.items()],
    )
    p = r.punctuality
    lines += [
        "",
        f"Update punctuality: {percent_text(p.share)} on time ({p.on_time:,} of {p.due:,} updates due; "
        f"{p.late:,} late, {p.missed:,} never sent)"
        if p.due
        else "Update punctuality: no update fell due in this range.",
    ]
    a = r.actions
    lines.append(
        "Action items: none yet."
        if a is None
        else f"Action items: {a.done:,} of {a.done + a.open:,} done ({percent_text(a.completion)}), "
        f"{a.overdue:,} overdue, {a.wont_do:,} won't do."
    )
    n = r.noise
    lines.append(
        "Noise: no alert marked noise yet."
        if n is None
        else f"Noise: {n.total:,} alerts marked noise ("
        + ", ".join(f"{clean(name)} {count:,}" for name, count in n.by_name[:5])
        + ")."
    )
    lines += [
        "",
        f"Responder load: hours holding a role in an open incident (working hours are 09:00-18:00 "
        f"Monday to Friday, {zone_name(zone)})",
    ]
    if r.load:
        lines += table(
            ("PERSON", "WORKING", "OFF HOURS", "TOTAL", "INCIDENTS"),
            [
                (x.name, hours_text(x.working), hours_text(x.off), hours_text(x.total), f"{x.incidents:,}")
                for x in r.load
            ],
        )
    else:
        lines.append("(nobody held a role)")
    return lines
