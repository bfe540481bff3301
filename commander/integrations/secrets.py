"""Secrets live in the OS keyring only. The store keeps a reference (service and name), never the secret.

Without a usable keyring, secrets are kept in memory for this session only and `available` says so,
so the caller can tell the person; nothing is ever written in plaintext.
"""

from __future__ import annotations

import contextlib
import logging

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

SERVICE = "commander"
_SESSION: dict[str, str] = {}  # secrets kept for this run of Commander when the keyring cannot take them


def _usable(backend: KeyringBackend) -> bool:
    # The fail backend and the null backend are "no keyring"; a chainer with nothing behind it too.
    name = type(backend).__module__ + "." + type(backend).__name__
    if name.startswith(("keyring.backends.fail", "keyring.backends.null")):
        return False
    if name == "keyring.backends.chainer.ChainerBackend":
        return bool(getattr(backend, "backends", []))
    return True


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
        return ("No OS keyring is available, so secrets are kept for this session only and must be given "
                "again after a restart. Install and unlock a keyring (GNOME Keyring, KWallet, macOS Keychain, "
                "Windows Credential Manager) to keep them.")

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
        self._session.pop(name, None)
        if self.available:
            with contextlib.suppress(keyring.errors.PasswordDeleteError):  # nothing there: already deleted
                self.backend.delete_password(SERVICE, name)
