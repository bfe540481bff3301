"""`commander bridge add|list|remove|secret|trust|start`: the team's meeting bridges.

A secret (Zoom's client secret; Google's client secret and refresh token, separated by a space) is read
from standard input or a hidden prompt, never from an argument, so it stays out of shell history. Jitsi and
fixed bridges have none."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from commander.cli.render import clean
from commander.cli.session import Refusal, Session, read_options, read_secret
from commander.cli.setup import connection_secrets

if TYPE_CHECKING:
    from commander.app.console import Console
    from commander.integrations.secrets import SecretStore


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = commands.add_parser("bridge", parents=[common], help="meeting bridges an incident starts")
    verbs = p.add_subparsers(dest="bridge_action", metavar="ACTION", required=True)
    a = verbs.add_parser(
        "add",
        parents=[common],
        help="add a bridge; a Zoom or Google Meet secret is read from stdin",
        epilog=kinds_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    a.add_argument("kind", metavar="KIND", help="one of the kinds listed below")
    a.add_argument("name", metavar="NAME", help="a name people recognise, e.g. 'Team Zoom'")
    a.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="a setting that is not secret")
    a.set_defaults(func=add)
    verbs.add_parser("list", parents=[common], help="the bridges").set_defaults(func=listing)
    r = verbs.add_parser("remove", parents=[common], help="remove a bridge (and its secret here)")
    r.add_argument("name", metavar="NAME")
    r.set_defaults(func=remove)
    s = verbs.add_parser("start", parents=[common], help="start a meeting on a bridge and print its address")
    s.add_argument("name", metavar="NAME")
    s.add_argument("--topic", default="Incident bridge", help="the meeting's topic (Zoom shows it)")
    s.set_defaults(func=start)
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

    lines = ["kinds (a secret is read from stdin or a hidden prompt; settings go as --option KEY=VALUE):"]
    for kind in KINDS.values():
        lines.append(f"  {kind.key:<6} {kind.label}; secret: {kind.secret or 'none'}")
        settings = [f"{n}={EXAMPLES.get(n, '…')} (required)" for n in kind.required]
        settings += [f"{n}={EXAMPLES.get(n, '…')}" for n in kind.optional]
        lines.append(f"  {'':<6} options: {', '.join(settings) if settings else 'none'}")
    return "\n".join(lines)


def add(session: Session, args: argparse.Namespace) -> int:
    from commander.app import bridges
    from commander.domain.bridges.connections import KINDS, needs_secret

    key = args.kind.strip().lower()
    options = read_options(args.option)
    secret = ""
    if key in KINDS and needs_secret(key):
        secret = read_secret(f"Secret ({KINDS[key].secret}; not shown): ")
    secrets = session.secrets
    config, kept = bridges.add(session.console, args.kind, args.name, options, secret, secrets)
    print(f"Added {clean(config.name)} ({config.kind}).")
    if not kept:
        print(secrets.notice, file=sys.stderr)
    return 0


def listing(session: Session, args: argparse.Namespace) -> int:
    from commander.app import bridges
    from commander.app.setup import connections
    from commander.domain.bridges.connections import needs_secret

    found = bridges.bridges(session.console)
    if not found:
        print("No bridges yet. Add one with `commander bridge add jitsi Jitsi --option base_url=https://meet.jit.si`.")
    for config in found.values():
        here = (
            connections.state_text(connections.state_of(connections.guarded(config), session.secrets))
            if needs_secret(config.kind)
            else "no secret needed"
        )
        print(f"{clean(config.name):<24} {config.kind:<6} {here}")
    return 0


def remove(session: Session, args: argparse.Namespace) -> int:
    from commander.app import bridges

    bridges.remove(session.console, args.name, session.secrets)
    print(f"Removed {clean(args.name)}.")
    return 0


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
