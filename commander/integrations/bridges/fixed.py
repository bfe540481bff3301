"""A standing bridge: the same address (`url`) for every incident, such as a team's permanent conference
room. Nothing is called; anyone with the address can join, so it suits bridges that have their own lobby or
passcode."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from commander.integrations.bridges.base import Bridge, BridgeProblem


class FixedBridge:
    kind = "fixed"

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        self.url = url.strip()
        if not self.url.startswith(("https://", "http://")):
            raise BridgeProblem(
                f"The bridge {name} has url '{url}', which is not a web address: remove it and add it again "
                f"with --option url=https://…"
            )

    async def start(self, client: httpx.AsyncClient, topic: str) -> Bridge:
        return Bridge(self.url)


def make(name: str, options: Mapping[str, str], secret: str) -> FixedBridge:
    return FixedBridge(name, options.get("url", ""))
