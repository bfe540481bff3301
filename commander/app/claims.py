"""Doing a thing once across every console and watcher: a claim on a key (a workflow action's id, a chat
message's reply) made through the shared store, or the local store when there is none. The first to claim
a key wins it; everyone else is told who holds it. A console that has a shared store but cannot reach it
cannot claim: `Offline` says so, and the caller defers the work until it can.
"""

from __future__ import annotations

from dataclasses import dataclass

from commander.app.console import Console


class Offline(Exception):
    """The shared store cannot be reached now: nothing was claimed; try again when online."""


@dataclass(frozen=True)
class Claim:
    key: str
    won: bool  # True: this console holds it now and must do the thing (and record its outcome)
    holder: str  # the console id that holds it (this one's when won)


def claim(console: Console, key: str) -> Claim:
    """Claim `key` for this console (console.console_id). Raises Offline when the shared store is out of
    reach. Claiming a key this console already holds wins again (a restart resumes its own work)."""
    raise NotImplementedError  # filled in by the session's lead (claims table in store and shared store)
