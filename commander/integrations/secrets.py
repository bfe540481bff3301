"""Secrets live in the OS keyring only. The store keeps a reference (service and name), never the secret.

Without a usable keyring, secrets are kept in memory for this session only and `available` says so,
so the caller can tell the person; nothing is ever written in plaintext. A keyring that is there but
refuses a write is not "no keyring": `keep` says so (`SecretNotKept`) rather than quietly falling back.

A connection's secret is bound to the endpoint it was entered for (`Binding`), kept beside it in the
keyring under `endpoint:<name>`, so the secret itself stays exactly what the person gave. A secret with no
binding beside it was stored by an older Commander: it is "unbound" (see app/connections.secret_for).
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from commander.domain.core.errors import DomainError

log = logging.getLogger(__name__)

SERVICE = "commander"
_BINDING = "endpoint:"  # no connection's or remote's secret name starts so
_SESSION: dict[str, str] = {}  # secrets kept for this run of Commander when the keyring cannot take them


def _usable(backend: KeyringBackend) -> bool:
    # The fail backend and the null backend are "no keyring"; a chainer with nothing behind it too.
    name = type(backend).__module__ + "." + type(backend).__name__
    if name.startswith(("keyring.backends.fail", "keyring.backends.null")):
        return False
    if name == "keyring.backends.chainer.ChainerBackend":
        return bool(getattr(backend, "backends", []))
    return True


@dataclass(frozen=True)
class Binding:
    """The endpoint a secret was entered for: its fingerprint, and its address in words (to show what
    changed)."""

    endpoint: str
    where: str


class SecretNotKept(DomainError):
    """The keyring is there but refused to store a secret."""


class SecretStore:
    def __init__(self, backend: KeyringBackend | None = None, session: dict[str, str] | None = None) -> None:
        """`session` is where secrets go when the keyring cannot take them: by default one for the whole
        process, so every window and dialog of this run sees a secret given once."""
        self.backend = backend or keyring.get_keyring()
        self.available = _usable(self.backend)
        self._session = _SESSION if session is None else session

    @property
    def notice(self) -> str:
        if self.available:
            return ""
        return (
            "No OS keyring is available, so secrets are kept for this session only and must be given "
            "again after a restart. Install and unlock a keyring (GNOME Keyring, KWallet, macOS Keychain, "
            "Windows Credential Manager) to keep them."
        )

    def get(self, name: str) -> str | None:
        if name in self._session:
            return self._session[name]
        if not self.available:
            return None
        try:
            return self.backend.get_password(SERVICE, name)
        except keyring.errors.KeyringError as error:
            log.warning("keyring read failed for %s: %s", name, type(error).__name__)
            return None

    def put(self, name: str, secret: str) -> bool:
        """Keep a secret. True when it is in the keyring; False when kept for this session only."""
        if self.available:
            try:
                self.backend.set_password(SERVICE, name, secret)
                self._session.pop(name, None)
                return True
            except keyring.errors.KeyringError as error:
                log.warning("keyring write failed for %s: %s", name, type(error).__name__)
        self._session[name] = secret
        return False

    def delete(self, name: str) -> None:
        for key in (name, _BINDING + name):
            self._session.pop(key, None)
            if self.available:
                with contextlib.suppress(keyring.errors.PasswordDeleteError):  # nothing there: already deleted
                    self.backend.delete_password(SERVICE, key)

    def binding(self, name: str) -> Binding | None:
        """What `name`'s secret is bound to; None when unbound (stored before bindings, or unreadable)."""
        raw = self.get(_BINDING + name)
        if raw is None:
            return None
        try:
            value = json.loads(raw)
            if value.get("v") == 1:
                return Binding(str(value["endpoint"]), str(value.get("where", "")))
        except (ValueError, AttributeError, KeyError, TypeError):
            pass
        log.warning("unreadable endpoint binding for %s: treated as unbound", name)
        return None

    def keep(self, name: str, secret: str, binding: Binding) -> bool:
        """Keep a secret bound to its endpoint. True when in the keyring; False when kept for this session
        only because there is no keyring. Raises `SecretNotKept` when the keyring refuses: nothing is kept."""
        self._write(name, secret)  # first: a refusal here leaves whatever was kept before as it was
        try:
            self.bind(name, binding)
        except SecretNotKept:
            with contextlib.suppress(keyring.errors.KeyringError, OSError):
                self.delete(name)  # an older binding must not vouch for the secret just written
            raise
        return self.available

    def bind(self, name: str, binding: Binding) -> bool:
        """Bind the secret kept for `name` to another endpoint (the person confirmed it)."""
        self._write(_BINDING + name, json.dumps({"v": 1, "endpoint": binding.endpoint, "where": binding.where}))
        return self.available

    def _write(self, name: str, value: str) -> None:
        if not self.available:
            self._session[name] = value
            return
        try:
            self.backend.set_password(SERVICE, name, value)
        # Backends raise PasswordSetError, KeyringLocked (macOS, a denied or locked keychain) or another
        # KeyringError; keyring's changelog (issue 375) advises catching the parent KeyringError.
        except (keyring.errors.KeyringError, OSError) as error:
            log.warning("keyring write failed for %s: %s", name, type(error).__name__)
            raise SecretNotKept(
                f"This computer's keyring refused to store the secret ({type(error).__name__}), so "
                f"nothing was saved. Unlock or repair the keyring, then try again."
            ) from error
        self._session.pop(name, None)
