"""`commander bridge add|list|remove|secret|trust|start`: the team's meeting bridges.

A secret (Zoom's client secret; Google's client secret and refresh token, separated by a space) is read
from standard input or a hidden prompt, never from an argument, so it stays out of shell history. Jitsi and
fixed bridges have none."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from commander.cli.render import clean
from commander.cli.session import Refusal, Session, add_connection
from commander.cli.setup import connection_commands, connection_secrets

if TYPE_CHECKING:
    from commander.app.console import Console
    from commander.integrations.secrets import SecretStore


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = commands.add_parser("bridge", parents=[common], help="meeting bridges an incident starts")
    verbs = p.add_subparsers(dest="bridge_action", metavar="ACTION", required=True)
    connection_commands.register_add(
        verbs,
        common,
        add,
        help="add a bridge; a Zoom or Google Meet secret is read from stdin",
        epilog=kinds_help(),
        name_help="a name people recognise, e.g. 'Team Zoom'",
    )
    verbs.add_parser("list", parents=[common], help="the bridges").set_defaults(func=listing)
    connection_commands.register_named(verbs, common, "remove", remove, help="remove a bridge (and its secret here)")
    s = connection_commands.register_named(
        verbs, common, "start", start, help="start a meeting on a bridge and print its address"
    )
    s.add_argument("--topic", default="Incident bridge", help="the meeting's topic (Zoom shows it)")
    connection_secrets.register(verbs, common, "bridge", give=_give, trust=_trust)


EXAMPLES = {
    "base_url": "https://meet.jit.si",
    "account_id": "…",
    "client_id": "…",
    "url": "https://…",
    "api_url": "https://…",
    "oauth_url": "https://…",
    "token_url": "https://…",
}


def kinds_help() -> str:
    from commander.domain.bridges.connections import KINDS

    return connection_commands.kinds_text(
        "kinds (a secret is read from stdin or a hidden prompt; settings go as --option KEY=VALUE):",
        KINDS.values(),
        EXAMPLES,
        6,
    )


def add(session: Session, args: argparse.Namespace) -> int:
    from commander.app import bridges
    from commander.domain.bridges.connections import FAMILY

    return add_connection(session, args, FAMILY, bridges.add, secret_optional=True)


def listing(session: Session, args: argparse.Namespace) -> int:
    from commander.app import bridges
    from commander.domain.bridges.connections import needs_secret

    found = bridges.bridges(session.console)
    if not found:
        print("No bridges yet. Add one with `commander bridge add jitsi Jitsi --option base_url=https://meet.jit.si`.")
    for config in found.values():
        here = (
            connection_commands.secret_state(config, session.secrets)
            if needs_secret(config.kind)
            else "no secret needed"
        )
        print(f"{clean(config.name):<24} {config.kind:<6} {here}")
    return 0


def remove(session: Session, args: argparse.Namespace) -> int:
    from commander.app import bridges

    return connection_commands.remove(session, args, bridges.remove)


def start(session: Session, args: argparse.Namespace) -> int:
    from commander.app import bridges
    from commander.integrations.bridges.base import BridgeProblem

    try:
        bridge = bridges.start(session.console, args.name, args.topic)
    except BridgeProblem as problem:
        raise Refusal(str(problem)) from problem
    print(clean(bridge.url))
    if bridge.details:
        print(clean(bridge.details))
    return 0


def _give(console: Console, name: str, secret: str, secrets: SecretStore) -> bool:
    from commander.app import bridges

    return bridges.give_secret(console, name, secret, secrets)


def _trust(console: Console, name: str, secrets: SecretStore) -> tuple[str, str]:
    from commander.app import bridges

    return bridges.trust(console, name, secrets)
