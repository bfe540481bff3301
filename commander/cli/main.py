"""The `commander` command: the parser, the dispatch, and known errors turned into one sentence.

Exit status: 0 done, 1 refused (the message says what to do), 2 a usage error (argparse's own).
Known problems (the rules refuse, the store cannot be used, a file cannot be written) never show a
traceback; anything else is a bug and does.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence

import commander
from commander.cli import actions, alerts, bridges, chat, oncall, paging, people, postmortem, watch, window, workflows
from commander.cli.incident import changes, checklists, exporting, past, report
from commander.cli.incident import commands as incidents
from commander.cli.render import TerminalStream, clean
from commander.cli.runbooks import commands as runbooks
from commander.cli.session import Refusal, Session
from commander.cli.setup import admin, remote
from commander.cli.updates import commands as updates
from commander.cli.updates import destinations, timers
from commander.domain.core.errors import DomainError
from commander.store.errors import StoreError

Command = Callable[[Session, argparse.Namespace], int]

_EPILOG = """\
REF is an incident's reference or any unambiguous start of it (INC-7K2M, 7k2m).
TIME is 09:12, 2026-11-28 09:12, an ISO time, or '15m ago'; local unless it says otherwise.
The store is --db, else $COMMANDER_DB, else the file in your user data folder ($COMMANDER_HOME).
"""


def build_parser() -> argparse.ArgumentParser:
    # --db and --as are accepted before or after the command; SUPPRESS keeps a value given before it.
    common = argparse.ArgumentParser(add_help=False)
    _store_options(common, default=argparse.SUPPRESS)
    parser = argparse.ArgumentParser(
        prog="commander",
        description="The Incident Commander's console. With no command, opens the window.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_Version)
    _store_options(parser, default=None)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (
        window,
        incidents,
        changes,
        past,
        exporting,
        updates,
        timers,
        destinations,
        actions,
        admin,
        remote,
        oncall,
        alerts,
        report,
        runbooks,
        checklists,
        postmortem,
        paging,
        workflows,
        people,
        bridges,
        chat,
        watch,
    ):
        module.register(commands, common)
    return parser


def _store_options(parser: argparse.ArgumentParser, *, default: object) -> None:
    parser.add_argument(
        "--db",
        metavar="URL_OR_PATH",
        default=default,
        help="the store: a file path or a URL (sqlite:///..., postgresql+psycopg://...)",
    )
    parser.add_argument(
        "--as",
        dest="as_name",
        metavar="NAME",
        default=default,
        help="record this command's changes under this person's name",
    )


def main(argv: Sequence[str] | None = None) -> int:
    _replace_unencodable(sys.stdout)
    _replace_unencodable(sys.stderr)
    _strict_input(sys.stdin)
    streams = sys.stdout, sys.stderr
    # The one place output meets a terminal: nothing written there passes unfiltered, whoever wrote it.
    sys.stdout, sys.stderr = (TerminalStream(s) if _is_terminal(s) else s for s in streams)
    try:
        return _run(argv)
    finally:
        sys.stdout, sys.stderr = streams


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        command: Command = getattr(args, "func", window.gui)  # no command: open the window
        session = Session(args)
        try:
            return command(session, args)
        finally:
            session.close()
    except SystemExit as leaving:  # argparse: --help, --version and usage errors (status 2)
        return leaving.code if isinstance(leaving.code, int) else 0 if leaving.code is None else 1
    except (DomainError, StoreError, Refusal) as error:
        return _refuse(str(error))
    except UnicodeDecodeError as error:  # standard input (a secret, a password, a file piped in), now strict
        return _refuse(
            f"What was typed or piped in is not UTF-8 text (byte {error.object[error.start]:#04x} "
            f"cannot be read). Give it as UTF-8 text and try again."
        )
    except UnicodeEncodeError as error:
        if error.reason != "surrogates not allowed":
            raise
        # Python keeps an argument's bytes that are not UTF-8 as lone surrogates; nothing can store them.
        return _refuse(
            "An argument is not UTF-8 text (it holds bytes no character is made of). Type it again, "
            "or check the terminal's character set (locale)."
        )
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`commander list | head`): stop quietly, as other tools do, and keep
        # Python from failing again while flushing standard output at exit.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _refuse(message: str) -> int:
    print(f"commander: {clean(message)}", file=sys.stderr)
    return 1


def _is_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if isatty is not None else False
    except ValueError:  # a closed stream
        return False


def _strict_input(stream: object) -> None:
    """Bytes on standard input that are not UTF-8 raise UnicodeDecodeError (refused in a sentence) instead
    of arriving as lone surrogates that a secret or a note would carry on (Python's POSIX-locale default)."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        with contextlib.suppress(ValueError, OSError):
            reconfigure(errors="strict")


def _replace_unencodable(stream: object) -> None:
    """A terminal that cannot show a character gets a '?', not a traceback."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="replace")


if __name__ == "__main__":
    raise SystemExit(main())


class _Version(argparse.Action):
    """--version: the installed version, read only when asked for (it costs every start otherwise)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **_: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(f"commander {commander.__version__}")
        parser.exit()
