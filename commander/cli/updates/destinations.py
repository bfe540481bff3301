"""`commander destination add|list|test|remove` and `commander update send`.

A secret (a Slack webhook URL, a webhook's signing key) is read from standard input or a hidden
prompt, never from an argument, so it stays out of shell history."""

from __future__ import annotations

import argparse
import sys

from commander.cli.render import clean
from commander.cli.session import Session, add_connection
from commander.cli.setup import connection_commands, connection_secrets


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = commands.add_parser("destination", parents=[common], help="where stakeholder updates are published")
    actions = p.add_subparsers(dest="destination_action", metavar="ACTION", required=True)
    connection_commands.register_add(
        actions,
        common,
        add,
        help="add a destination; its secret is read from stdin",
        epilog=kinds_help(),
        name_help="a name people recognise, e.g. '#incidents'",
        option_help="a setting that is not secret, e.g. url=https://hooks.example/commander",
    )
    actions.add_parser("list", parents=[common], help="the destinations").set_defaults(func=listing)
    connection_commands.register_named(actions, common, "test", test, help="send a harmless test message")
    connection_commands.register_named(actions, common, "remove", remove, help="remove a destination")
    connection_secrets.register(
        actions,
        common,
        "destination",
        give=connection_secrets.give_connection("destination"),
        trust=connection_secrets.trust_connection("destination"),
    )


OPTION_EXAMPLES = {
    "channel": "C0123ABCD",
    "api_url": "https://…",
    "format": "adaptive|messagecard",
    "username": "Commander",
    "homeserver": "https://matrix.example.org",
    "room": "!roomid or #alias:example.org",
    "url": "https://…",
    "page_id": "abc123",
    "components": "payments=id1,checkout=id2",
    "mattermost.channel": "town-square",
}


def kinds_help() -> str:
    """Every destination kind, what its secret is, and the --option settings it takes."""
    from commander.domain.updates.destinations import KINDS

    return connection_commands.kinds_text(
        "kinds (the secret is read from stdin or a hidden prompt; settings go as --option KEY=VALUE):",
        KINDS.values(),
        OPTION_EXAMPLES,
        11,
    )


def register_send(
    updates: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    s = updates.add_parser("send", parents=[common], help="publish an update to destinations and wait")
    s.add_argument("ref", metavar="REF")
    s.add_argument("--template", required=True, metavar="KEY")
    s.add_argument("--to", required=True, metavar="NAME[,NAME…]", help="destination names, comma separated")
    s.set_defaults(func=send)
    r = updates.add_parser(
        "resume",
        parents=[common],
        help="send again updates interrupted when Commander was closed mid-send, and those "
        "that gave up retrying (the service kept asking to wait, or was down)",
    )
    unsure = r.add_mutually_exclusive_group()
    unsure.add_argument(
        "--send-unsure", action="store_true", help="also send again those that may have arrived (they may post twice)"
    )
    unsure.add_argument(
        "--not-sent",
        action="store_true",
        help="record those that may have arrived as not sent, instead of sending them",
    )
    r.set_defaults(func=resume)


def add(session: Session, args: argparse.Namespace) -> int:
    from commander.app.updates import publishing
    from commander.domain.updates.destinations import FAMILY

    return add_connection(session, args, FAMILY, publishing.add)


def listing(session: Session, args: argparse.Namespace) -> int:
    from commander.app.updates import publishing

    found = publishing.destinations(session.console)
    if not found:
        print("No destinations yet. Add one with `commander destination add slack '#incidents'`.")
    for config in found.values():
        print(f"{clean(config.name):<24} {config.kind:<8} {connection_commands.secret_state(config, session.secrets)}")
    return 0


def test(session: Session, args: argparse.Namespace) -> int:
    from commander.app.updates import publishing

    outcome = publishing.test_destination(session.console, args.name, session.secrets)
    print(f"{clean(args.name)}: {outcome.state}" + (f" ({clean(outcome.detail)})" if outcome.detail else ""))
    return 0 if outcome.state == "delivered" else 1


def remove(session: Session, args: argparse.Namespace) -> int:
    from commander.app.updates import publishing

    return connection_commands.remove(session, args, publishing.remove)


def send(session: Session, args: argparse.Namespace) -> int:
    from commander.app.updates import publishing

    names = [n.strip() for n in args.to.split(",") if n.strip()]
    incident = session.resolve(args.ref)

    def progress(name: str, state: str, detail: str) -> None:
        if state in ("retrying", "delivered", "failed"):
            print(f"  {clean(name)}: {state}" + (f" — {clean(detail)}" if detail else ""), file=sys.stderr)

    outcomes = publishing.send_update(
        session.console, incident.id, args.template, names, session.secrets, on_state=progress
    )
    failed = [name for name, outcome in outcomes.items() if outcome.state != "delivered"]
    print(
        f"{incident.reference}  delivered to {len(outcomes) - len(failed)} of {len(outcomes)}"
        + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    for name, outcome in outcomes.items():
        if outcome.state == "delivered" and outcome.shortened:  # a service's limit cut it: say how much went
            print(f"  {clean(name)}: delivered, {outcome.shortened_words}")
    return 1 if failed else 0


def resume(session: Session, args: argparse.Namespace) -> int:
    from commander.app.updates import publishing

    secrets = session.secrets
    found = publishing.pending(session.console, secrets)
    if not found:
        print("No interrupted updates.")
        return 0
    unsure = [item for item in found if not item.automatic]
    chosen = [item for item in found if item.automatic]
    if args.send_unsure:
        chosen += [item for item in unsure if item.kind is not None]
    dropped = [item for item in unsure if args.not_sent or (args.send_unsure and item.kind is None)]
    waiting = [item for item in unsure if item not in chosen and item not in dropped]
    if dropped:
        publishing.abandon(session.console, dropped)
        for item in dropped:
            print(f"  {clean(item.reference)} to {clean(item.destination)}: recorded as not sent")
    failed = 0
    if chosen:
        sending = publishing.resume(session.console, chosen, secrets)
        outcomes = publishing.deliver(sending)
        publishing.finish(session.console, sending, outcomes)
        for item in chosen:
            outcome = outcomes[item.queued.id]
            failed += outcome.state != "delivered"
            print(
                f"  {clean(item.reference)} to {clean(item.destination)}: {outcome.state}"
                + (f", {outcome.shortened_words}" if outcome.shortened else "")
                + (f" — {clean(outcome.detail)}" if outcome.detail else "")
            )
    for item in waiting:
        print(f"  {clean(item.describe())}", file=sys.stderr)
    if waiting:
        print(
            "Run again with --send-unsure to send those again, or --not-sent to record them as not sent.",
            file=sys.stderr,
        )
    return 1 if failed or waiting else 0
