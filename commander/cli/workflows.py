"""`commander workflow import|list|show|remove|dry-run`: the team's workflow rules from the terminal.

A rules file is YAML (docs/cli.md shows one); `show` prints a rule in the same form, ready to edit and
import again. A dry run fills in the rule's templates for an incident and does nothing.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from commander.cli.render import clean, json_text, table, terminal_text
from commander.cli.session import Session, read_input

if TYPE_CHECKING:
    Parsers = argparse._SubParsersAction[argparse.ArgumentParser]
    from commander.domain.workflows.kinds import SavedRule

FILE_BYTES = 1024 * 1024  # read no further: the rules file's own limit is 256 kB of text


def register(commands: Parsers, common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "workflow",
        parents=[common],
        help="workflow rules: import, list, show, remove, dry-run",
        description="Workflow rules (a trigger, conditions and ordered actions), shared through the store. "
        "A dry run shows what a rule would do for an incident, and does nothing.",
    )
    actions = p.add_subparsers(dest="workflow_action", metavar="ACTION", required=True)
    s = actions.add_parser("import", parents=[common], help="save every rule in a YAML file (all or nothing)")
    s.add_argument("file", metavar="FILE.yaml", help="- reads standard input")
    s.set_defaults(func=import_file)
    s = actions.add_parser("list", parents=[common], help="the rules in use")
    s.add_argument("--json", action="store_true", help="print JSON instead of a table")
    s.set_defaults(func=list_rules)
    s = actions.add_parser("show", parents=[common], help="print a rule as YAML, ready to edit and import")
    s.add_argument("name", metavar="NAME")
    s.set_defaults(func=show)
    s = actions.add_parser("remove", parents=[common], help="remove a rule for everyone")
    s.add_argument("name", metavar="NAME")
    s.set_defaults(func=remove)
    s = actions.add_parser("dry-run", parents=[common], help="what a rule would do for an incident, doing nothing")
    s.add_argument("name", metavar="NAME")
    s.add_argument("ref", metavar="REF")
    s.add_argument("--json", action="store_true", help="print JSON instead of lines")
    s.set_defaults(func=dry_run)
    s = actions.add_parser("runs", parents=[common], help="what the rules did for an incident: each action's outcome")
    s.add_argument("ref", metavar="REF")
    s.add_argument("--json", action="store_true", help="print JSON instead of a table")
    s.set_defaults(func=runs)
    s = actions.add_parser("retry", parents=[common], help="run a failed action again (its id from `runs`)")
    s.add_argument("ref", metavar="REF")
    s.add_argument("action", metavar="ACTION_ID", help="the action's id, or the start of it")
    s.set_defaults(func=retry)


def import_file(session: Session, args: argparse.Namespace) -> int:
    from commander.app import workflows

    source = "Standard input" if args.file == "-" else args.file
    saved = workflows.import_yaml(session.console, read_input(args.file, limit=FILE_BYTES), source=source)
    if not saved:
        print(f"Nothing changed: every rule in {clean(source)} is already in use as it says.")
        return 0
    count = f"{len(saved)} rule" + ("" if len(saved) == 1 else "s")
    print(f"Imported {count} from {clean(source)}: {clean(', '.join(saved))}.")
    chosen = [workflows.rule(session.console, name) for name in saved]
    for warning in workflows.unresolved(session.console, chosen):
        print(f"Note: {clean(warning)} Until then that action fails, saying so.")
    return 0


def runs(session: Session, args: argparse.Namespace) -> int:
    from commander.app import automation

    summary = session.resolve(args.ref)
    found = automation.runs(session.console, summary.id)
    if args.json:
        _print_json(
            [
                {
                    "action_id": r.action_id,
                    "rule": r.rule,
                    "version": r.version,
                    "position": r.position,
                    "action": r.action,
                    "outcome": r.outcome,
                    "attempt": r.attempt,
                    "text": r.text,
                    "at": r.at.isoformat(),
                    "by": r.by,
                }
                for r in found
            ]
        )
        return 0
    if not found:
        print(f"No workflow has run for {summary.reference}.")
        return 0
    zone = session.console.zone
    rows = [
        (
            r.action_id[:8],
            r.rule,
            f"{r.position}. {r.action}",
            r.outcome + (f" (attempt {r.attempt})" if r.attempt > 1 else ""),
            r.at.astimezone(zone).strftime("%H:%M:%S"),
            r.text,
        )
        for r in found
    ]
    for line in table(("ID", "RULE", "ACTION", "OUTCOME", "AT", "WHAT"), rows):
        print(line)
    if any(r.retryable for r in found):
        print(f"Retry a failed one with `commander workflow retry {summary.reference} ID`.")
    return 0


def retry(session: Session, args: argparse.Namespace) -> int:
    from commander.app import automation
    from commander.domain.core.errors import DomainError

    summary = session.resolve(args.ref)
    wanted = args.action.strip().lower()
    matching = [r for r in automation.runs(session.console, summary.id) if wanted and r.action_id.startswith(wanted)]
    if len(matching) != 1:
        raise DomainError(
            f"{'No' if not matching else 'More than one'} workflow action of {summary.reference} has an id starting "
            f"'{clean(args.action)}': `commander workflow runs {summary.reference}` lists them."
        )
    run = automation.retry(session.console, summary.id, matching[0].action_id)
    print(
        f"{clean(run.rule)}: {run.action} {run.outcome} (attempt {run.attempt})"
        + (f": {clean(run.text)}" if run.text else "")
    )
    return 0 if run.outcome == "done" else 1


def list_rules(session: Session, args: argparse.Namespace) -> int:
    from commander.app import workflows

    found = workflows.rules(session.console)
    if args.json:
        _print_json([_as_json(saved) for saved in found])
        return 0
    if not found:
        print("No workflow rules yet. `commander workflow import FILE` adds them.")
        return 0
    rows = [
        (
            saved.rule.name,
            str(saved.version),
            _trigger_words(saved),
            ", ".join(action.kind for action in saved.rule.actions),
        )
        for saved in found
    ]
    for line in table(("NAME", "VERSION", "WHEN", "DO"), rows):
        print(line)
    return 0


def show(session: Session, args: argparse.Namespace) -> int:
    import yaml

    from commander.app import workflows
    from commander.domain.workflows.rules import rule_to_dict

    saved = workflows.rule(session.console, args.name)
    text = yaml.safe_dump([rule_to_dict(saved.rule)], sort_keys=False, allow_unicode=True, width=120)
    print(terminal_text(f"# {saved.rule.name}, version {saved.version}\n{text}"), end="")
    return 0


def remove(session: Session, args: argparse.Namespace) -> int:
    from commander.app import workflows

    print(f"Removed the workflow rule {clean(workflows.remove(session.console, args.name))}.")
    return 0


def dry_run(session: Session, args: argparse.Namespace) -> int:
    from commander.app import workflows

    summary = session.resolve(args.ref)
    planned = workflows.dry_run(session.console, args.name, summary.id)
    if args.json:
        _print_json(
            [
                {"id": p.id, "position": p.position, "action": p.kind, "fields": _plain(p.fields), "problem": p.problem}
                for p in planned
            ]
        )
        return 0
    print(f"{clean(args.name.strip())} for {summary.reference}, as a dry run (nothing is done):")
    for p in planned:
        fields = "; ".join(f"{name}: {_shown(value)}" for name, value in p.fields.items())
        print(f"  {p.position}. {p.kind}" + (f" ({clean(fields)})" if fields else ""))
        if p.problem:
            print(f"     cannot be filled in: {clean(p.problem)}")
    return 0


def _as_json(saved: SavedRule) -> dict[str, Any]:
    from commander.domain.workflows.rules import rule_to_dict

    return {"version": saved.version, **rule_to_dict(saved.rule)}


def _trigger_words(saved: SavedRule) -> str:
    from commander.domain.workflows.rules import rule_to_dict

    when = rule_to_dict(saved.rule)["when"]
    details = [f"{key} {_shown(value)}" for key, value in when.items() if key != "event"]
    return clean(when["event"] + (f" ({', '.join(details)})" if details else ""))


def _shown(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value).lower() if isinstance(value, bool) else str(value)


def _plain(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {key: list(value) if isinstance(value, tuple) else value for key, value in fields.items()}


def _print_json(data: Any) -> None:
    print(json_text(json.dumps(data, ensure_ascii=False, indent=2)))
