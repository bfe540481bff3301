"""The team's directory of people (domain/people/kinds.py): who a name is in chat and by email."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING

from commander.app.console import Console
from commander.domain.people import kinds
from commander.domain.people.kinds import Person

if TYPE_CHECKING:
    from commander.integrations.chat.base import ChatService

LOOKUP_TIMEOUT = 10.0


def directory(console: Console) -> dict[str, Person]:
    return kinds.fold_people(console.reads.stream(kinds.STREAM))


def find(console: Console, name: str) -> Person | None:
    return directory(console).get(name.strip().casefold())


def set_person(
    console: Console, name: str, *, email: str | None = None, chat: Mapping[str, str] | None = None
) -> Person:
    """Save a person; what is not given stays as it was (`email=""` clears the address)."""
    current = find(console, name)
    merged = dict(current.chat) if current else {}
    merged.update(chat or {})
    address = email if email is not None else (current.email if current else "")
    console.record([kinds.save(current.name if current else name, address, merged)])
    found = find(console, name)
    assert found is not None
    return found


def remove(console: Console, name: str) -> str:
    draft = kinds.remove(directory(console), name)
    console.record([draft])
    return str(draft.payload["name"])


def chat_user(console: Console, name: str, via: str, service: ChatService) -> str | None:
    """The person's user id in the chat connection `via`: the id the directory holds, else a lookup by the
    person's email through the service (blocking: call it off the UI thread). None when neither finds one."""
    person = find(console, name)
    if person is None:
        return None
    if person.chat.get(via):
        return person.chat[via]
    if not person.email:
        return None

    async def lookup() -> str | None:
        async with console.services.http(LOOKUP_TIMEOUT) as http:
            return await service.find_user(http, person.email)

    return asyncio.run(lookup())


def author(console: Console, *, via: str, user: str = "", email: str = "", shown: str = "") -> str:
    """The name the role board uses for a chat message's author: the directory's entry for the account or
    email, else the name as the service showed it."""
    found = kinds.by_account(directory(console), via=via, user=user, email=email)
    if found is not None:
        return found.name
    return shown
