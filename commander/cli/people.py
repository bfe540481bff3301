"""`commander person set|list|remove`: the team's directory of people, who a name is in chat and by email
(a workflow's `invite` finds chat accounts here; a chat message's author maps back to a name)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from commander.cli.render import clean, json_text, table

if TYPE_CHECKING:
    Parsers = argparse._SubParsersAction[argparse.ArgumentParser]
    from commander.cli.session import Session


def register(commands: Parsers, common: argparse.ArgumentParser) -> None:
    p = commands.add_parser(
        "person",
        parents=[common],
        help="the team's people: email and chat accounts, for invites and chat authors",
        description="Who a name on the role board is elsewhere: an email address (chat services look people up "
        "by it) and the person's user id in a chat connection.",
    )
    actions = p.add_subparsers(dest="person_action", metavar="ACTION", required=True)
    s = actions.add_parser("set", parents=[common], help="add a person or change what is known of them")
    s.add_argument("name", metavar="NAME")
    s.add_argument("--email", help="their email address ('' clears it)")
    s.add_argument(
        "--chat", action="append", default=[], metavar="CONNECTION=USER_ID", help="their user id in a chat connection"
    )
    s.set_defaults(func=set_person)
    s = actions.add_parser("list", parents=[common], help="everyone in the directory")
    s.add_argument("--json", action="store_true", help="print JSON instead of a table")
    s.set_defaults(func=list_people)
    s = actions.add_parser("remove", parents=[common], help="take a person out of the directory")
    s.add_argument("name", metavar="NAME")
    s.set_defaults(func=remove)


def set_person(session: Session, args: argparse.Namespace) -> int:
    from commander.app import people
    from commander.domain.core.errors import DomainError

    chat = {}
    for item in args.chat:
        via, equals, user = item.partition("=")
        if not equals:
            raise DomainError(f"--chat takes CONNECTION=USER_ID (team-slack=U024BE7LH), not '{clean(item)}'.")
        chat[via.strip()] = user.strip()
    person = people.set_person(session.console, args.name, email=args.email, chat=chat)
    accounts = ", ".join(f"{via}: {user}" for via, user in person.chat.items())
    email = f" <{clean(person.email)}>" if person.email else ""
    print(f"Saved {clean(person.name)}{email}" + (f" ({clean(accounts)})" if accounts else "") + ".")
    return 0


def list_people(session: Session, args: argparse.Namespace) -> int:
    from commander.app import people

    found = list(people.directory(session.console).values())
    if args.json:
        data = [{"name": p.name, "email": p.email, "chat": dict(p.chat)} for p in found]
        print(json_text(json.dumps(data, ensure_ascii=False, indent=2)))
        return 0
    if not found:
        print("Nobody in the directory yet. `commander person set NAME --email ADDRESS` adds someone.")
        return 0
    rows = [(p.name, p.email or "-", ", ".join(f"{v}={u}" for v, u in p.chat.items()) or "-") for p in found]
    for line in table(("NAME", "EMAIL", "CHAT"), rows):
        print(line)
    return 0


def remove(session: Session, args: argparse.Namespace) -> int:
    from commander.app import people

    print(f"Removed {clean(people.remove(session.console, args.name))} from the directory.")
    return 0
