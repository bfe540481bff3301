"""What every bridge shares: the meeting it starts and the problem it reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import httpx


@dataclass(frozen=True)
class Bridge:
    url: str  # what people open to join
    id: str = ""  # the service's meeting id, when it has one
    details: str = ""  # a line for the timeline (dial-in, passcode), when the service gives one


class BridgeProblem(Exception):
    """The service refused or failed: `str()` says what happened and what to do."""

    def __init__(self, message: str, *, transient: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.transient = transient  # trying again later may work (a 429, a 5xx, the network)
        self.retry_after = retry_after  # seconds the service asked to wait, when it said


class BridgeService(Protocol):
    kind: str
    name: str

    async def start(self, client: httpx.AsyncClient, topic: str) -> Bridge:
        """A new meeting for an incident, `topic` its title ("INC-12 SEV2 Checkout 502s")."""
        ...
