"""The infrastructure the use cases reach the outside world through: the secret store, the HTTP clients and
the publishers (update destinations, action-item trackers, alert sources). The composition root
(commander/app/bootstrap.py) makes one `Services` per console; use cases take it from `console.services`,
and windows and commands never construct any of these themselves.

Everything is made on first use, so start-up imports neither httpx nor keyring. An HTTP client belongs to
the event loop it first sends on, and each send runs its own loop on a worker thread (so the window never
waits), so `http` makes the client for one send; the costly part, the TLS context, is made once per
process (integrations/destinations/base.py). Every client goes out with the same settings: certifi's CAs,
verification on, the caller's timeout.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from commander.integrations.alertmanager import Alertmanager
    from commander.integrations.destinations.base import Destination
    from commander.integrations.secrets import SecretStore
    from commander.integrations.trackers.base import Tracker


class Services:
    def __init__(self, make_secrets: Callable[[], SecretStore] | None = None) -> None:
        """`make_secrets` makes the secret store on first use (the OS keyring by default; a test gives its
        own)."""
        self._make_secrets = make_secrets
        self._secrets: SecretStore | None = None
        self._lock = threading.Lock()

    @property
    def secrets(self) -> SecretStore:
        """The one secret store of this process (OS keyring, or the session): reading the keyring's
        backend is paid when a secret is first needed, not at start-up."""
        with self._lock:
            if self._secrets is None:
                if self._make_secrets is None:
                    from commander.integrations.secrets import SecretStore

                    self._make_secrets = SecretStore
                self._secrets = self._make_secrets()
            return self._secrets

    @secrets.setter
    def secrets(self, store: SecretStore) -> None:
        with self._lock:
            self._secrets = store

    def http(self, timeout: float) -> httpx.AsyncClient:
        """An HTTP client for one send (use it as `async with`), with `timeout` seconds per request."""
        from commander.integrations.destinations.base import client

        return client(timeout)

    def destination(self, kind: str, name: str, options: Mapping[str, str], secret: str) -> Destination:
        """Where an update goes (integrations/destinations: one module per kind, loaded when first used)."""
        from commander.integrations.destinations import make

        return make(kind, name, options, secret)

    def tracker(self, kind: str, name: str, options: Mapping[str, str], secret: str) -> Tracker:
        """Where an action item is pushed (integrations/trackers: one module per tracker)."""
        from commander.integrations.trackers import make

        return make(kind, name, options, secret)

    def alert_source(
        self, url: str, client: httpx.AsyncClient, *, auth: str = "none", user: str = "", secret: str = ""
    ) -> Alertmanager:
        """An Alertmanager to read alerts from and silence them in, through `client`."""
        from commander.integrations.alertmanager import Alertmanager

        return Alertmanager(url, client, auth=auth, user=user, secret=secret)
