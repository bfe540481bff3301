"""The commands every connection family shares (`commander destination|chat|bridge add|list|remove`): the
`add KIND NAME --option KEY=VALUE` parser and its kinds' help, a verb on one NAME, a connection's secret state
here, and `remove`."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from commander.cli.render import clean

if TYPE_CHECKING:
    from commander.app.console import Console
    from commander.cli.session import Session
    from commander.domain.core.connections import Connection, Kind
    from commander.integrations.secrets import SecretStore

Command = Callable[["Session", argparse.Namespace], int]


def register_add(
    verbs: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
    func: Command,
    *,
    help: str,
    epilog: str,
    name_help: str,
    option_help: str = "a setting that is not secret",
) -> None:
    """`add KIND NAME [--option KEY=VALUE]…`, the kinds listed after the options."""
    a = verbs.add_parser(
        "add", parents=[common], help=help, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    a.add_argument("kind", metavar="KIND", help="one of the kinds listed below")
    a.add_argument("name", metavar="NAME", help=name_help)
    a.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help=option_help)
    a.set_defaults(func=func)


def register_named(
    verbs: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
    verb: str,
    func: Command,
    *,
    help: str,
) -> argparse.ArgumentParser:
    """A verb on one connection, `VERB NAME`; returns its parser for any further options."""
    p = verbs.add_parser(verb, parents=[common], help=help)
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func=func)
    return p


def kinds_text(
    heading: str, kinds: Iterable[Kind], examples: Mapping[str, str], width: int, *, secret_apart: bool = False
) -> str:
    """The kinds for `add`'s help: each one's label, its secret (on a line of its own with `secret_apart`) and
    its --option settings with an example value each (`KIND.NAME` before `NAME` in `examples`)."""
    lines = [heading]
    for kind in kinds:
        secret = f"secret: {kind.secret or 'none'}"
        if secret_apart:
            lines += [f"  {kind.key:<{width}} {kind.label}", f"  {'':<{width}} {secret}"]
        else:
            lines.append(f"  {kind.key:<{width}} {kind.label}; {secret}")
        lines.append(f"  {'':<{width}} options: {_options_text(kind, examples)}")
    return "\n".join(lines)


def _options_text(kind: Kind, examples: Mapping[str, str]) -> str:

    def example(name: str) -> str:
        return examples.get(f"{kind.key}.{name}") or examples.get(name, "…")

    settings = [f"{name}={example(name)} (required)" for name in kind.required]
    settings += [f"{name}={example(name)}" for name in kind.optional]
    return ", ".join(settings) if settings else "none"


def secret_state(config: Connection, secrets: SecretStore) -> str:
    """Whether this computer holds the connection's secret, for the address its settings name, in words."""
    from commander.app.setup import connections

    return connections.state_text(connections.state_of(connections.guarded(config), secrets))


def remove(session: Session, args: argparse.Namespace, drop: Callable[[Console, str, SecretStore], None]) -> int:
    """`remove NAME`: the connection and its secret here."""
    drop(session.console, args.name, session.secrets)
    print(f"Removed {clean(args.name)}.")
    return 0
