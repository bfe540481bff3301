"""Hybrid logical clock: a total order that respects causality and survives clock skew.

A stamp packs wall milliseconds and a logical counter into one integer, so it sorts as a number in
Python and in SQL alike. A console that has seen a stamp never issues a smaller one, so an event
written after reading another always sorts after it, even when this laptop's clock is minutes behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

COUNTER_BITS = 16
_COUNTER_MAX = (1 << COUNTER_BITS) - 1


def pack(wall_ms: int, counter: int) -> int:
    return (wall_ms << COUNTER_BITS) | counter


def unpack(stamp: int) -> tuple[int, int]:
    return stamp >> COUNTER_BITS, stamp & _COUNTER_MAX


def wall_of(stamp: int) -> datetime:
    return datetime.fromtimestamp((stamp >> COUNTER_BITS) / 1000, UTC)


def to_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("times must carry a time zone")
    return int(moment.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


@dataclass
class HybridClock:
    """Issues stamps; `physical` returns wall time in milliseconds (injected for tests)."""

    physical: Callable[[], int]
    _wall: int = 0
    _counter: int = 0

    def now(self) -> int:
        physical = self.physical()
        if physical > self._wall:
            self._wall, self._counter = physical, 0
        else:
            self._advance_counter()
        return pack(self._wall, self._counter)

    def observe(self, stamp: int) -> None:
        """Take in a stamp written elsewhere, so every later local stamp sorts after it."""
        wall, counter = unpack(stamp)
        if wall > self._wall:
            self._wall, self._counter = wall, counter
        elif wall == self._wall and counter > self._counter:
            self._counter = counter

    def _advance_counter(self) -> None:
        if self._counter == _COUNTER_MAX:
            self._wall, self._counter = self._wall + 1, 0
        else:
            self._counter += 1
