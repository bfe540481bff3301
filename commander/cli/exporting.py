"""`export`: one incident as Markdown, JSON or CSV, on standard output or into a file written atomically."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from commander.cli.render import json_text, terminal_text
from commander.cli.session import Refusal, Session
from commander.domain.export import to_csv, to_json, to_markdown

FORMATS = {"md": ".md", "json": ".json", "csv": ".csv"}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser],
             common: argparse.ArgumentParser) -> None:
    p = commands.add_parser("export", parents=[common], help="write an incident as Markdown, JSON or CSV")
    p.add_argument("ref", metavar="REF", help="the reference or any unambiguous start of it")
    p.add_argument("--format", choices=sorted(FORMATS),
                   help="md, json or csv (default: from the --out file's extension, else md)")
    p.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    p.set_defaults(func=export)


def export(session: Session, args: argparse.Namespace) -> int:
    console = session.console
    view = console.view(session.resolve(args.ref).id)
    chosen = args.format or _format_of(args.out)
    text = (to_markdown(view, console.zone) if chosen == "md" else to_json(view) if chosen == "json"
            else to_csv(view, console.zone))
    if args.out:
        write_atomically(Path(args.out), text)
    elif chosen == "json":
        sys.stdout.write(json_text(text))  # the same document once parsed
    else:
        sys.stdout.write(terminal_text(text) if sys.stdout.isatty() else text)
    return 0


def _format_of(out: str | None) -> str:
    suffix = Path(out).suffix.lower() if out else ""
    return next((name for name, extension in FORMATS.items() if extension == suffix), "md")


def write_atomically(target: Path, text: str) -> None:
    """Readers see the old file or the whole new one, never half of it, even if the power goes."""
    target = target.expanduser()
    temporary: Path | None = None
    try:
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask()
        with tempfile.NamedTemporaryFile("wb", dir=target.parent, prefix=f".{target.name}.", suffix=".tmp",
                                         delete=False) as handle:
            temporary = Path(handle.name)
            handle.write(text.encode("utf-8"))  # bytes: CSV's \r\n reaches the file unchanged
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
        temporary = None
        _sync_folder(target.parent)
    except OSError as error:
        raise Refusal(f"Cannot write {target}: {error.strerror or error}. Choose another file with --out, "
                      f"or leave --out off to print to the terminal.") from error
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); folders cannot be opened this way on Windows."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
