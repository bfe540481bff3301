"""Jitsi Meet: a room on the team's Jitsi (`base_url`), named so nobody can guess it. No API: a Jitsi room
exists once someone opens its address.

Room names (the jitsi-meet nginx configuration routes `location ~ ^/([^/?&:'"]+)$` to a room, so / ? & : '
and " cannot be in one, as https://community.jitsi.org/t/sorry-you-are-not-allowed-to-be-here-when-join-the-meeting/118445
says): Commander uses
only lowercase ASCII letters, digits and hyphens, because Prosody lowercases a room's name (its MUC JIDs are
case-insensitive), so mixed case would add no secrecy and two spellings would be the same room.

The room's name is a readable prefix from the topic ("inc-12-sev2-checkout-502s", at most 40 characters)
and 128 random bits from `secrets` (32 hexadecimal digits): on a public server such as meet.jit.si anyone
who knows a name can join, so the random part is what keeps the bridge to the people given the address.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Mapping

import httpx

from commander.integrations.bridges.base import Bridge, BridgeProblem

PREFIX_MAX = 40
RANDOM_BYTES = 16  # 128 bits
DEFAULT_BASE_URL = "https://meet.jit.si"
_NOT_NAME = re.compile(r"[^a-z0-9]+")


def prefix(topic: str) -> str:
    """The topic as lowercase ASCII words joined by hyphens, cut at a word where it can be."""
    folded = unicodedata.normalize("NFKD", topic).encode("ascii", "ignore").decode().lower()
    words = _NOT_NAME.sub("-", folded).strip("-")
    if len(words) > PREFIX_MAX:
        cut = words.rfind("-", 0, PREFIX_MAX + 1)
        words = words[: cut if cut > PREFIX_MAX // 2 else PREFIX_MAX].rstrip("-")
    return words or "incident"


def room_name(topic: str) -> str:
    return f"{prefix(topic)}-{secrets.token_hex(RANDOM_BYTES)}"


class JitsiBridge:
    kind = "jitsi"

    def __init__(self, name: str, base_url: str) -> None:
        self.name = name
        self.base_url = (base_url or DEFAULT_BASE_URL).strip().rstrip("/")
        if not self.base_url.startswith(("https://", "http://")):
            raise BridgeProblem(
                f"The Jitsi bridge {name} has base_url '{base_url}', which is not a web address: remove it and "
                f"add it again with --option base_url=https://meet.example.org."
            )

    async def start(self, client: httpx.AsyncClient, topic: str) -> Bridge:
        room = room_name(topic)
        return Bridge(f"{self.base_url}/{room}", room)


def make(name: str, options: Mapping[str, str], secret: str) -> JitsiBridge:
    return JitsiBridge(name, options.get("base_url", ""))
