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


def import_file(session: Session, args: argparse.Namespace) -> int:
    from commander.app import workflows

    source = "Standard input" if args.file == "-" else args.file
    saved = workflows.import_yaml(session.console, read_input(args.file, limit=FILE_BYTES), source=source)
    if not saved:
        print(f"Nothing changed: every rule in {clean(source)} is already in use as it says.")
        return 0
    count = f"{len(saved)} rule" + ("" if len(saved) == 1 else "s")
    print(f"Imported {count} from {clean(source)}: {clean(', '.join(saved))}.")
    return 0


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
