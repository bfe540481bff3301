"""`commander checklist …`: runbooks and role duties worked through on an incident, from the terminal.

CHECKLIST is the number `checklist list` shows (1 for the first attached), the start of its title, or of
its id. STEP is the step's number in its checklist, its id (s2.1), or the start of its words.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from commander.app import checklists
from commander.cli.outfile import write_out
from commander.cli.render import clean, json_text, terminal_text
from commander.cli.session import Session
from commander.domain.checklists.checklists import Checklist, ChecklistStep, find_checklist, find_step, number_of
from commander.domain.checklists.export import to_markdown
from commander.domain.core.events import Event
from commander.domain.core.when import iso
from commander.domain.incident.state import IncidentState
from commander.domain.runbooks.inline_markdown import plain

_BOXES = {"done": "[x]", "skipped": "[-]", "open": "[ ]"}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "checklist",
        parents=[common],
        help="runbook and duty checklists on an incident",
        description="Attach a runbook (or a role's duties) to an incident and work through "
        "its steps. Every change is on the timeline, with who and when.",
    )
    actions = p.add_subparsers(dest="checklist_action", metavar="ACTION", required=True)

    def action(name: str, help_: str, func: Any, *, step: bool = True) -> argparse.ArgumentParser:
        s = actions.add_parser(name, parents=[common], help=help_, description=help_)
        s.add_argument("ref", metavar="REF")
        s.add_argument("checklist", metavar="CHECKLIST", help="its number in `checklist list`, or its title")
        if step:
            s.add_argument("step", metavar="STEP", help="its number, its id (s2.1), or the start of its words")
        s.set_defaults(func=func)
        return s

    s = actions.add_parser("attach", parents=[common], help="attach a runbook from the library as a checklist")
    s.add_argument("ref", metavar="REF")
    s.add_argument("runbook", metavar="RUNBOOK", help="the runbook's title, file name or id (or a start of it)")
    s.set_defaults(func=attach)
    s = actions.add_parser("role", parents=[common], help="attach a role's duty checklist from the policy")
    s.add_argument("ref", metavar="REF")
    s.add_argument("role", metavar="ROLE", help="IC, TL, CL, scribe, or a role's name")
    s.set_defaults(func=attach_role)
    s = actions.add_parser("list", parents=[common], help="the incident's checklists and their steps")
    s.add_argument("ref", metavar="REF")
    s.add_argument("--all", action="store_true", help="detached checklists too")
    s.add_argument("--json", action="store_true", help="print JSON instead of text")
    s.set_defaults(func=list_checklists)
    action("check", "tick a step", check)
    action("uncheck", "untick a step (or reopen a skipped one)", uncheck)
    action("skip", "skip a step, saying why", skip).add_argument("--reason", required=True, help="why it is skipped")
    s = action("assign", "give a step to a role or a person", assign)
    who = s.add_mutually_exclusive_group(required=True)
    who.add_argument("to", metavar="TO", nargs="?", help="a role (TL) or a person")
    who.add_argument("--clear", action="store_true", help="take the step back from whoever has it")
    action("finding", "note what a step showed", finding).add_argument("text", metavar="TEXT", nargs="+")
    s = action("suggest", "suggest a change to the checklist's runbook, for its owner", suggest, step=False)
    s.add_argument("text", metavar="TEXT", nargs="+")
    s.add_argument("--step", metavar="STEP", help="the step it is about (default: the runbook as a whole)")
    action("detach", "take a checklist off the incident", detach, step=False).add_argument(
        "--reason", default="", help="why (optional)"
    )
    s = action("export", "a checklist as Markdown, with who did what and when", export, step=False)
    s.add_argument("--out", metavar="FILE", help="write here instead of standard output")


def attach(session: Session, args: argparse.Namespace) -> int:
    from commander.app.runbooks import library as runbooks

    console = session.console
    incident = session.resolve(args.ref)
    record = runbooks.find(console, args.runbook)
    [event] = checklists.attach_checklist(console, incident.id, record.current)
    state = console.state(incident.id)
    checklist = state.checklists[event.id]
    print(
        f"{incident.reference}  checklist {number_of(state.checklists, checklist.id)} attached: "
        f"{clean(plain(checklist.title))} ({checklist.source}, {len(checklist.steps)} steps)"
    )
    if runbooks.is_stale(console, record):
        reviewed = record.current.reviewed_at
        when = f"last reviewed {reviewed:%Y-%m-%d}" if reviewed else "never reviewed"
        print(f"Note: this runbook is stale ({when}); check each step against what you see.", file=sys.stderr)
    return 0


def attach_role(session: Session, args: argparse.Namespace) -> int:
    console = session.console
    incident = session.resolve(args.ref)
    [event] = checklists.attach_role_checklist(console, incident.id, args.role)
    state = console.state(incident.id)
    checklist = state.checklists[event.id]
    print(
        f"{incident.reference}  checklist {number_of(state.checklists, checklist.id)} attached: "
        f"{clean(plain(checklist.title))} ({len(checklist.steps)} steps)"
    )
    return 0


def list_checklists(session: Session, args: argparse.Namespace) -> int:
    console = session.console
    incident = session.resolve(args.ref)
    state = console.state(incident.id)
    shown = [c for c in state.checklists.values() if c.attached or args.all]
    if args.json:
        print(json_text(json.dumps([_json(state, c) for c in shown], ensure_ascii=False, indent=2)))
        return 0
    if not shown:
        print(
            f"{incident.reference}  no checklists. `commander checklist attach {incident.reference} RUNBOOK` "
            f"attaches one; `commander checklist role {incident.reference} IC` the IC's duties."
        )
        return 0
    for checklist in shown:
        print(_heading(state, checklist))
        width = len(str(len(checklist.steps)))
        for number, step in enumerate(checklist.steps.values(), start=1):
            print(
                f"  {number:>{width}}  {'  ' * step.depth}{_BOXES.get(step.state, '[?]')} {clean(plain(step.text))}"
                f"{_step_facts(step, console.zone)}"
            )
        print()
    return 0


def _heading(state: IncidentState, checklist: Checklist) -> str:
    done, total = checklist.progress
    detached = "" if checklist.attached else f"  (detached by {checklist.detached_by})"
    return (
        f"{number_of(state.checklists, checklist.id)}  {clean(plain(checklist.title))}  {checklist.source}  "
        f"{done} of {total} done or skipped{detached}"
    )


def _step_facts(step: ChecklistStep, zone: Any) -> str:
    facts = []
    when = step.at.astimezone(zone).strftime("%H:%M") if step.at else ""
    if step.state == "done":
        facts.append(f"done by {step.by} {when}")
    elif step.state == "skipped":
        facts.append(f"skipped by {step.by} {when}: {step.reason}")
    if step.assigned:
        facts.append(f"assigned to {step.assigned}")
    if step.findings:
        facts.append(f"{len(step.findings)} finding{'s' if len(step.findings) > 1 else ''}")
    return "  — " + clean("; ".join(facts)) if facts else ""


def _json(state: IncidentState, checklist: Checklist) -> dict[str, Any]:
    done, total = checklist.progress
    return {
        "number": number_of(state.checklists, checklist.id),
        "id": checklist.id,
        "title": checklist.title,
        "runbook": checklist.runbook or None,
        "version": checklist.version or None,
        "version_id": checklist.version_id or None,
        "role": checklist.role or None,
        "attached_by": checklist.attached_by,
        "attached_at": iso(checklist.attached_at),
        "detached_by": checklist.detached_by,
        "detach_reason": checklist.detach_reason or None,
        "done": done,
        "total": total,
        "steps": [
            {
                "number": number,
                "id": s.id,
                "text": s.text,
                "kind": s.kind or None,
                "command": s.command,
                "link": s.link,
                "depth": s.depth,
                "section": s.section or None,
                "state": s.state,
                "by": s.by,
                "at": iso(s.at) if s.at else None,
                "reason": s.reason or None,
                "assigned": s.assigned or None,
                "findings": [{"text": f.text, "by": f.by, "at": iso(f.at)} for f in s.findings],
            }
            for number, s in enumerate(checklist.steps.values(), start=1)
        ],
    }


def _target(session: Session, args: argparse.Namespace) -> tuple[str, str, Checklist, ChecklistStep | None]:
    incident = session.resolve(args.ref)
    state = session.console.state(incident.id)
    checklist = find_checklist(state, args.checklist)
    wanted = getattr(args, "step", None)
    return incident.id, incident.reference, checklist, find_step(checklist, wanted) if wanted else None


def _said(session: Session, incident_id: str, reference: str, events: list[Event]) -> int:
    """Print the timeline entry the change made: the same words every console shows."""
    entry = session.console.view(incident_id).entry(events[0].id)
    print(f"{reference}  {clean(entry.text if entry else events[0].kind)}")
    return 0


def check(session: Session, args: argparse.Namespace) -> int:
    incident, reference, checklist, step = _target(session, args)
    assert step is not None
    events = checklists.check_step(session.console, incident, checklist.id, step.id)
    return _said(session, incident, reference, events)


def uncheck(session: Session, args: argparse.Namespace) -> int:
    incident, reference, checklist, step = _target(session, args)
    assert step is not None
    events = checklists.uncheck_step(session.console, incident, checklist.id, step.id)
    return _said(session, incident, reference, events)


def skip(session: Session, args: argparse.Namespace) -> int:
    incident, reference, checklist, step = _target(session, args)
    assert step is not None
    events = checklists.skip_step(session.console, incident, checklist.id, step.id, args.reason)
    return _said(session, incident, reference, events)


def assign(session: Session, args: argparse.Namespace) -> int:
    incident, reference, checklist, step = _target(session, args)
    assert step is not None
    events = checklists.assign_step(session.console, incident, checklist.id, step.id, "" if args.clear else args.to)
    return _said(session, incident, reference, events)


def finding(session: Session, args: argparse.Namespace) -> int:
    incident, reference, checklist, step = _target(session, args)
    assert step is not None
    events = checklists.add_finding(session.console, incident, checklist.id, step.id, " ".join(args.text))
    return _said(session, incident, reference, events)


def detach(session: Session, args: argparse.Namespace) -> int:
    incident, reference, checklist, _ = _target(session, args)
    events = checklists.detach_checklist(session.console, incident, checklist.id, args.reason)
    return _said(session, incident, reference, events)


def suggest(session: Session, args: argparse.Namespace) -> int:
    incident, reference, checklist, _ = _target(session, args)
    step = find_step(checklist, args.step) if args.step else None
    checklists.suggest_runbook_change(
        session.console, incident, checklist.id, step.id if step else "", " ".join(args.text)
    )
    about = f"step {step.id}" if step else "the runbook"
    print(f"{reference}  suggestion recorded on “{clean(plain(checklist.title))}” ({about}) for the runbook's owner")
    return 0


def export(session: Session, args: argparse.Namespace) -> int:
    incident, reference, checklist, _ = _target(session, args)
    text = to_markdown(checklist, session.console.zone, reference=reference)
    if args.out:
        write_out(Path(args.out), text)
    else:
        sys.stdout.write(terminal_text(text) if sys.stdout.isatty() else text)
    return 0
