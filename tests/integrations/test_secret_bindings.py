"""A secret kept with the endpoint it was entered for: both in the keyring, removed together; a keyring
that refuses a write says so and leaves what was kept before."""

from __future__ import annotations

import keyring.errors
import pytest

from commander.integrations.secrets import Binding, SecretNotKept, SecretStore
from tests.helpers.keyring_memory import MemoryKeyring

BOUND = Binding("f" * 32, "https://m.example")


def test_a_secret_is_kept_beside_its_binding_and_removed_with_it(memory_keyring: MemoryKeyring) -> None:
    store = SecretStore(memory_keyring)
    assert store.keep("destination:ops", "token", BOUND) is True
    assert store.get("destination:ops") == "token"  # the secret itself is kept as given
    assert SecretStore(memory_keyring).binding("destination:ops") == BOUND
    store.delete("destination:ops")
    assert memory_keyring.items == {}


def test_a_secret_without_a_readable_binding_is_unbound(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.items[("commander", "destination:ops")] = "token"  # kept by an older Commander
    assert SecretStore(memory_keyring).binding("destination:ops") is None
    memory_keyring.items[("commander", "endpoint:destination:ops")] = "not json"
    assert SecretStore(memory_keyring).binding("destination:ops") is None


class Refusing(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("locked")


def test_a_refusing_keyring_raises_and_keeps_what_it_had() -> None:
    backend = Refusing()
    backend.items[("commander", "destination:ops")] = "old"
    store = SecretStore(backend, session={})
    with pytest.raises(SecretNotKept, match=r"keyring refused to store the secret \(PasswordSetError\)"):
        store.keep("destination:ops", "new", BOUND)
    assert store.get("destination:ops") == "old" and store.binding("destination:ops") is None
