"""`declare`, `list` and `show`: starting an incident and reading them back."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from typing import Any

from commander.app import incident
from commander.cli.render import clean, clean_lines, json_text, local_time, pad, table, width
from commander.cli.session import Session
from commander.domain.core.clock import from_ms
from commander.domain.core.when import format_duration, iso
from commander.domain.incident.decisions import Declaration
from commander.domain.incident.state import MILESTONES
from commander.domain.timeline.entries import IncidentView, TimelineEntry
from commander.domain.timeline.export import to_json
from commander.store.records import IncidentSummary


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "declare",
        parents=[common],
        help="declare an incident; prints its reference",
        description="Declare an incident. Prints only the new reference, so scripts can capture it.",
    )
    p.add_argument("--title", required=True, help="what is broken, in a few words")
    p.add_argument("--severity", help="SEV1 ... SEV4 (default: the policy's default)")
    p.add_argument(
        "--service",
        action="append",
        default=[],
        metavar="NAME",
        help="an affected service; repeat it or separate names with commas",
    )
    p.add_argument("--summary", default="", help="the impact, as customers see it")
    p.add_argument("--detected-at", metavar="TIME", help="when it started, e.g. 09:12 or '15m ago'")
    p.add_argument("--drill", action="store_true", help="mark it as a drill")
    p.add_argument("--commander", metavar="NAME", help="the Incident Commander (default: you)")
    p.set_defaults(func=declare)

    p = commands.add_parser("list", parents=[common], help="list open incidents (--all: every incident)")
    p.add_argument("--all", action="store_true", help="include resolved and closed incidents")
    p.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    p.set_defaults(func=list_incidents)

    p = commands.add_parser("show", parents=[common], help="an incident's facts, roles and timeline")
    p.add_argument("ref", metavar="REF", help="the reference or any unambiguous start of it")
    p.add_argument("--json", action="store_true", help="everything as JSON (as export --format json)")
    p.set_defaults(func=show)


def declare(session: Session, args: argparse.Namespace) -> int:
    console = session.console
    form = Declaration(
        title=args.title,
        severity=args.severity or console.policy.default_severity,
        services=tuple(args.service),
        summary=args.summary,
        detected_at=session.when(args.detected_at) if args.detected_at else None,
        drill=args.drill,
        commander=args.commander,
    )
    state = incident.declare(console, form)
    print(state.reference)
    return 0


def list_incidents(session: Session, args: argparse.Namespace) -> int:
    console = session.console
    summaries = console.incidents(include_closed=args.all)
    if args.json:
        print(json_text(json.dumps([_summary_json(s) for s in summaries], ensure_ascii=False, indent=2)))
        return 0
    if not summaries:
        print(
            "No open incidents." if not args.all else "No incidents yet.",
            "" if args.all else "`commander list --all` includes resolved ones.",
        )
        return 0
    now = console.now()
    rows = []
    for s in summaries:
        age = format_duration(now - from_ms(s.started_at_ms)) if s.started_at_ms else ""
        title = f"[drill] {s.title}" if s.drill else s.title
        rows.append((s.reference, s.severity, s.status, age, s.commander or "(none)", title))
    # Cut long titles only on a terminal; piped output keeps them whole for grep and friends.
    limit = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    for line in table(("REFERENCE", "SEV", "STATUS", "AGE", "IC", "TITLE"), rows, limit=limit):
        print(line)
    return 0


def _summary_json(s: IncidentSummary) -> dict[str, Any]:
    return {
        "id": s.id,
        "reference": s.reference,
        "title": s.title,
        "severity": s.severity,
        "status": s.status,
        "open": s.is_open,
        "drill": s.drill,
        "services": s.services,
        "commander": s.commander,
        "started_at": iso(from_ms(s.started_at_ms)) if s.started_at_ms else None,
        "resolved_at": iso(from_ms(s.resolved_at_ms)) if s.resolved_at_ms else None,
        "events": s.event_count,
    }


def show(session: Session, args: argparse.Namespace) -> int:
    console = session.console
    view = console.view(session.resolve(args.ref).id)
    if args.json:
        sys.stdout.write(json_text(to_json(view)))
        return 0
    for line in describe(view, session):
        print(line)
    return 0


def describe(view: IncidentView, session: Session) -> list[str]:
    console = session.console
    zone, state, now = console.zone, view.state, console.now()
    severity = console.policy.find_severity(state.severity)
    drill = "  (drill)" if state.drill else ""
    lines = [
        f"{state.reference}  {state.severity}{' ' + severity.name if severity else ''}  {state.status.value}{drill}",
        clean(state.title),
        "",
    ]
    facts = [
        ("Services", ", ".join(state.services) or "none"),
        ("Declared by", state.declared_by.name if state.declared_by else "unknown"),
    ]
    started = state.started_at()
    if started:
        facts.append(
            (
                "Running for" if state.is_open else "Started",
                format_duration(now - started) if state.is_open else local_time(started, zone),
            )
        )
    lines += [f"{pad(name, 12)} {clean(value)}" for name, value in facts]
    summary = clean_lines(state.summary) if state.summary else ["(none given)"]
    lines += [f"{pad('Impact', 12)} {summary[0]}"] + [f"{' ' * 13}{line}" for line in summary[1:]]
    lines += ["", "Milestones"]
    for name in MILESTONES:
        if name in state.milestones:
            at = state.milestones[name]
            lines.append(f"  {pad(name.capitalize(), 13)} {local_time(at, zone)}   ({iso(at)})")
    lines += ["", "Roles"]
    rows = []
    for slot in state.roles.values():
        if slot.holder:
            since = f"since {local_time(slot.since, zone, date=False)}" if slot.since else ""
            earlier = ", ".join(t.person for t in slot.history[:-1])
            rows.append((slot.name, slot.holder, since + (f"; before: {earlier}" if earlier else "")))
        elif console.policy.is_key_role(slot.key, state.severity):
            rows.append((slot.name, "(unfilled)", f"a key role for {state.severity}: fill it"))
        else:
            rows.append((slot.name, "(unfilled)", ""))
    lines += ["  " + line for line in table(("", "", ""), rows)[1:]]
    lines += ["", f"Timeline ({getattr(zone, 'key', None) or local_time(now, zone).split()[-1]}; * pinned)"]
    lines += _timeline(view.entries, session)
    return lines


def _timeline(entries: list[TimelineEntry], session: Session) -> list[str]:
    zone = session.console.zone
    actor_width = min(20, max((width(clean(e.author)) for e in entries), default=0))
    lines, day = [], ""
    for entry in entries:
        local = entry.at.astimezone(zone)
        if local.strftime("%Y-%m-%d") != day:
            day = local.strftime("%Y-%m-%d")
            lines.append(f"  {day}")
        mark = "*" if entry.pinned else " "
        head = (
            f"  {local.strftime('%H:%M:%S')} {mark} {pad(clean(entry.author), actor_width)}  {pad(entry.category, 10)} "
        )
        if entry.deleted_by:
            text = [f"(note deleted by {clean(entry.deleted_by)})"]
        else:
            text = clean_lines(entry.text)
            flags = [
                f"edited by {clean(entry.edited_by)}" if entry.edited_by else "",
                "backdated" if entry.backdated else "",
            ]
            if any(flags):
                text[-1] += f"  ({', '.join(f for f in flags if f)})"
        lines.append(head + text[0])
        lines += [" " * width(head) + more for more in text[1:]]
    return lines or ["  (empty)"]
