"""`commander` and `commander gui`: open the window. Qt is imported only here, and only when asked."""

from __future__ import annotations

import argparse

from commander.cli.session import Refusal, Session

THEMES = ("dark", "light")
# Modules whose absence means "the window is not installed", not a bug in it.
_WINDOW_MODULES = ("commander.ui", "PySide6", "shiboken6")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = commands.add_parser("gui", parents=[common], help="open the window (also: commander with no command)")
    p.add_argument("--screenshot", metavar="PNG", help="render the window to this PNG and exit")
    p.add_argument("--incident", metavar="REF", help="open this incident")
    p.add_argument("--theme", choices=THEMES, help="dark or light (default: as last chosen)")
    p.set_defaults(func=gui)


def gui(session: Session, args: argparse.Namespace) -> int:
    reference = getattr(args, "incident", None)
    incident = session.resolve(reference).id if reference else None
    try:
        from commander.ui.shell.app import NoDisplay, run
    except ModuleNotFoundError as error:
        if not (error.name or "").startswith(_WINDOW_MODULES):
            raise
        raise Refusal(
            f"The window cannot start: {error.name} is not installed. Reinstall Commander with its "
            f"dependencies, or use the commands in `commander --help`."
        ) from error
    try:
        result = run(
            session.console,
            screenshot=getattr(args, "screenshot", None),
            incident=incident,
            theme=getattr(args, "theme", None),
        )
    except NoDisplay as error:
        raise Refusal(str(error)) from None
    return int(result or 0)
