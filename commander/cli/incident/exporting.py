"""`export`: one incident as Markdown, JSON or CSV, on standard output or into a file (cli/outfile.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from commander.cli.outfile import write_out
from commander.cli.render import json_text, terminal_text
from commander.cli.session import Session
from commander.domain.timeline.export import to_csv, to_json, to_markdown

FORMATS = {"md": ".md", "json": ".json", "csv": ".csv"}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = commands.add_parser("export", parents=[common], help="write an incident as Markdown, JSON or CSV")
    p.add_argument("ref", metavar="REF", help="the reference or any unambiguous start of it")
    p.add_argument(
        "--format", choices=sorted(FORMATS), help="md, json or csv (default: from the --out file's extension, else md)"
    )
    p.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    p.set_defaults(func=export)


def export(session: Session, args: argparse.Namespace) -> int:
    console = session.console
    view = console.view(session.resolve(args.ref).id)
    chosen = args.format or _format_of(args.out)
    text = (
        to_markdown(view, console.zone)
        if chosen == "md"
        else to_json(view)
        if chosen == "json"
        else to_csv(view, console.zone)
    )
    if args.out:
        write_out(Path(args.out), text)
    elif chosen == "json":
        sys.stdout.write(json_text(text))  # the same document once parsed
    else:
        sys.stdout.write(terminal_text(text) if sys.stdout.isatty() else text)
    return 0


def _format_of(out: str | None) -> str:
    suffix = Path(out).suffix.lower() if out else ""
    return next((name for name, extension in FORMATS.items() if extension == suffix), "md")
