"""Waiting on a condition instead of sleeping a fixed time: the test goes on as soon as the condition
holds, and fails with a sentence when it never does."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float, interval: float = 0.05, *, message: str = "") -> T:
    """Call `predicate` every `interval` seconds until it returns something true, and return that.

    After `timeout` seconds the test fails with `message` (or one naming the predicate). The predicate
    may fail the test itself (a server that exited will never be ready). For Qt code, use
    `qtbot.waitUntil` or `qtbot.waitSignal`, which keep the event loop running while they wait."""
    deadline = time.monotonic() + timeout
    while True:
        found = predicate()
        if found:
            return found
        if time.monotonic() >= deadline:
            pytest.fail(message or f"{getattr(predicate, '__name__', predicate)!s} did not hold within {timeout:g} s")
        time.sleep(interval)
