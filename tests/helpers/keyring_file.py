"""A keyring backend kept in a temporary file named by COMMANDER_TEST_KEYRING, for tests that run
`commander` as separate processes (an in-memory keyring cannot be shared between processes). Select it
with PYTHON_KEYRING_BACKEND=tests.helpers.keyring_file.FileKeyring. Test secrets only: the app never uses it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import keyring.errors
from keyring.backend import KeyringBackend


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    @property
    def path(self) -> Path:
        return Path(os.environ["COMMANDER_TEST_KEYRING"])

    def _items(self) -> dict[str, str]:
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._items().get(f"{service}\n{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        items = self._items()
        items[f"{service}\n{username}"] = password
        self.path.write_text(json.dumps(items))

    def delete_password(self, service: str, username: str) -> None:
        items = self._items()
        if items.pop(f"{service}\n{username}", None) is None:
            raise keyring.errors.PasswordDeleteError(username)
        self.path.write_text(json.dumps(items))
