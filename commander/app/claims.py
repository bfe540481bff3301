"""Doing a thing once across every console and watcher: a claim on a key (a workflow action's id, a chat
message's reply) made through the shared store, or the local store when there is none. The first to claim
a key wins it; everyone else is told who holds it. A console that has a shared store but cannot reach it
cannot claim: `Offline` says so, and the caller defers the work until it can.

Claims are kept for good (the database refuses UPDATE and DELETE on them): a console that wins a claim and
dies before recording the outcome leaves the action claimed and not done, which the window shows as
"stalled" and a person may retry (the retry is a new attempt with a claim of its own). Nobody takes a
claim over by timing out, since that is how an action would run twice.

A claim opens its own PostgreSQL connection and closes it when made (`SharedStore.claim`): claims are
rare, and a console keeps only its replicator's connection open (docs/deployment.md).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

from commander.app.console import Console
from commander.app.setup import remote as remotes
from commander.store.errors import StoreError

if TYPE_CHECKING:
    from commander.sync.shared import SharedStore

_SHARED: weakref.WeakKeyDictionary[Console, tuple[str, SharedStore]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


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
    from commander.store import claims

    now_ms = int(console.now().timestamp() * 1000)
    remote = remotes.configured(console)
    if remote is None:
        with console.database.write() as conn:
            held = claims.claim(conn, key, console.console_id, now_ms)
    else:
        try:
            held = _shared(console, remote).claim(key, console.console_id, now_ms)
        except StoreError as error:
            raise Offline(str(error)) from error
    return Claim(key, held == console.console_id, held)


def _shared(console: Console, remote: remotes.Remote) -> SharedStore:
    with _LOCK:
        found = _SHARED.get(console)
        if found is not None and found[0] == remote.url:
            return found[1]
        store = remotes.shared_store(remote, console.secrets)
        if found is not None:
            found[1].close()
        _SHARED[console] = (remote.url, store)
        return store


def close(console: Console) -> None:
    """Let go of the connection claims were made through (the console is closing)."""
    with _LOCK:
        found = _SHARED.pop(console, None)
    if found is not None:
        found[1].close()
