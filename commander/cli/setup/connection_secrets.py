"""`commander destination|tracker|pager secret NAME` and `… trust NAME` (and `alerts source trust NAME`):
give this computer a connection's secret, or confirm the new address its shared settings name.

A secret is sent only to the address it was entered for; when a teammate (or anyone who can write to the
shared store) re-adds the connection with another address, the secret is held back until this person
confirms that address here, or gives the secret again."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from commander.app.console import Console
from commander.cli.render import clean
from commander.cli.session import Session, read_secret

if TYPE_CHECKING:
    from commander.domain.core.connections import Family
    from commander.integrations.secrets import SecretStore

Give = Callable[[Console, str, str, "SecretStore"], bool]
Trust = Callable[[Console, str, "SecretStore"], tuple[str, str]]


def register(
    verbs: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
    noun: str,
    *,
    give: Give | None,
    trust: Trust,
) -> None:
    if give is not None:
        s = verbs.add_parser(
            "secret",
            parents=[common],
            help=f"give this computer a {noun}'s secret (read from stdin), bound to its address",
        )
        s.add_argument("name", metavar="NAME")
        s.set_defaults(func=lambda session, args: give_secret(session, args, give))
    t = verbs.add_parser(
        "trust",
        parents=[common],
        help=f"confirm the new address of a {noun} whose settings changed: its secret is sent there",
    )
    t.add_argument("name", metavar="NAME")
    t.set_defaults(func=lambda session, args: confirm(session, args, trust))


def give_secret(session: Session, args: argparse.Namespace, give: Give) -> int:
    secrets = session.secrets
    kept = give(session.console, args.name, read_secret("Secret (not shown): "), secrets)
    print(f"Kept the secret for {clean(args.name)}" + (" in the keyring." if kept else " for this session only."))
    if not kept:
        print(secrets.notice, file=sys.stderr)
    return 0


def confirm(session: Session, args: argparse.Namespace, trust: Trust) -> int:
    was, now = trust(session.console, args.name, session.secrets)
    before = f" (was {clean(was)})" if was and was != now else ""
    print(f"{clean(args.name)}: its secret is now sent to {clean(now)}{before}.")
    return 0


def give_connection(family_noun: str) -> Give:
    """`give` for destinations and trackers."""

    def give(console: Console, name: str, secret: str, secrets: SecretStore) -> bool:
        from commander.app.setup import connections

        return connections.give(
            connections.guarded(connections.find(console, _family(family_noun), name)), secret, secrets
        )

    return give


def trust_connection(family_noun: str) -> Trust:
    def trust(console: Console, name: str, secrets: SecretStore) -> tuple[str, str]:
        from commander.app.setup import connections

        return connections.trust(connections.guarded(connections.find(console, _family(family_noun), name)), secrets)

    return trust


def _family(noun: str) -> Family:
    from commander.domain.actions import trackers
    from commander.domain.updates import destinations

    return trackers.FAMILY if noun == "tracker" else destinations.FAMILY
