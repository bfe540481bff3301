"""Secrets: the OS keyring when there is one; for this session only, and said so, when there is none."""

from __future__ import annotations

from keyring.backends.fail import Keyring as NoKeyring

from commander.integrations.secrets import SecretStore
from tests.helpers.keyring_memory import MemoryKeyring


def test_a_keyring_keeps_the_secret(memory_keyring: MemoryKeyring) -> None:
    store = SecretStore(memory_keyring)
    assert store.available and store.notice == ""
    assert store.put("slack #ops", "https://hooks.example/T000/B000/XXXX") is True
    assert SecretStore(memory_keyring).get("slack #ops") == "https://hooks.example/T000/B000/XXXX"
    store.delete("slack #ops")
    store.delete("slack #ops")  # deleting what is gone is fine
    assert store.get("slack #ops") is None


def test_without_a_keyring_secrets_last_for_the_session_and_it_says_so() -> None:
    store = SecretStore(NoKeyring())
    assert not store.available and "this session only" in store.notice
    assert store.put("db", "pw") is False
    assert store.get("db") == "pw"
    assert SecretStore(NoKeyring()).get("db") == "pw"  # every window of this run sees it
    assert SecretStore(NoKeyring(), session={}).get("db") is None  # the next run: nothing was written anywhere
