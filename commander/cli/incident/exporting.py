"""`export`: one incident as Markdown, JSON or CSV, on standard output or into a file (cli/outfile.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from commander.app import timeline
from commander.cli.outfile import write_out
from commander.cli.render import json_text, terminal_text
from commander.cli.session import Session


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = commands.add_parser("export", parents=[common], help="write an incident as Markdown, JSON or CSV")
    p.add_argument("ref", metavar="REF", help="the reference or any unambiguous start of it")
    p.add_argument(
        "--format",
        choices=sorted(timeline.EXPORT_FORMATS),
        help="md, json or csv (default: from the --out file's extension, else md)",
    )
    p.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    p.set_defaults(func=export)


def export(session: Session, args: argparse.Namespace) -> int:
    chosen = timeline.export_format(args.format) if args.format else timeline.export_format_of(args.out)
    text = timeline.export(session.console, session.resolve(args.ref).id, chosen.name)
    if args.out:
        write_out(Path(args.out), text)
    elif chosen.name == "json":
        sys.stdout.write(json_text(text))  # the same document once parsed
    else:
        sys.stdout.write(terminal_text(text) if sys.stdout.isatty() else text)
    return 0
