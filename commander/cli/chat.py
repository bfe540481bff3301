"""`commander chat add|list|remove|secret|trust`: the team's chat connections, the workspaces an incident
gets its own channel in and whose channels come back to the timeline.

A secret (a Slack bot token and app-level token separated by a space; a Mattermost bot's or a Matrix user's
access token) is read from standard input or a hidden prompt, never from an argument, so it stays out of
shell history."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from commander.cli.render import clean
from commander.cli.session import Session, add_connection
from commander.cli.setup import connection_commands, connection_secrets

if TYPE_CHECKING:
    from commander.app.console import Console
    from commander.integrations.secrets import SecretStore


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = commands.add_parser("chat", parents=[common], help="chat workspaces incidents get a channel in")
    verbs = p.add_subparsers(dest="chat_action", metavar="ACTION", required=True)
    connection_commands.register_add(
        verbs,
        common,
        add,
        help="add a chat connection; its secret is read from stdin",
        epilog=kinds_help(),
        name_help="a name people recognise, e.g. team-slack",
    )
    verbs.add_parser("list", parents=[common], help="the chat connections").set_defaults(func=listing)
    connection_commands.register_named(
        verbs, common, "remove", remove, help="remove a chat connection (and its secret here)"
    )
    connection_secrets.register(verbs, common, "chat connection", give=_give, trust=_trust)


EXAMPLES = {
    "api_url": "https://slack.com/api",
    "workspace_url": "https://team.slack.com",
    "declare_channel": "C0123ABC",
    "pin_reaction": "pushpin",
    "url": "https://chat.example.org",
    "team": "ops",
    "homeserver": "https://matrix.example.org",
}


def kinds_help() -> str:
    from commander.domain.chat.connections import KINDS

    return connection_commands.kinds_text(
        "kinds (the secret is read from stdin or a hidden prompt; settings go as --option KEY=VALUE):",
        KINDS.values(),
        EXAMPLES,
        10,
        secret_apart=True,
    )


def add(session: Session, args: argparse.Namespace) -> int:
    from commander.app import chat
    from commander.domain.chat.connections import FAMILY

    return add_connection(session, args, FAMILY, chat.add, secret_optional=True)


def listing(session: Session, args: argparse.Namespace) -> int:
    from commander.app import chat

    found = chat.connections(session.console)
    if not found:
        print(
            "No chat connections yet. Add one with `commander chat add slack team-slack "
            "--option workspace_url=https://team.slack.com` (the tokens are asked for)."
        )
    for config in found.values():
        here = connection_commands.secret_state(config, session.secrets)
        declare = config.options.get("declare_channel", "")
        where = f"  declare in {clean(declare)}" if declare else ""
        print(f"{clean(config.name):<24} {config.kind:<10} {here}{where}")
    return 0


def remove(session: Session, args: argparse.Namespace) -> int:
    from commander.app import chat

    return connection_commands.remove(session, args, chat.remove)


def _give(console: Console, name: str, secret: str, secrets: SecretStore) -> bool:
    from commander.app import chat

    return chat.give_secret(console, name, secret, secrets)


def _trust(console: Console, name: str, secrets: SecretStore) -> tuple[str, str]:
    from commander.app import chat

    return chat.trust(console, name, secrets)
