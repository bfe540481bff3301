"""Hybrid logical clock: a total order that respects causality and survives clock skew.

A stamp packs wall milliseconds and a logical counter into one integer, so it sorts as a number in
Python and in SQL alike. A console that has seen a stamp never issues a smaller one, so an event
written after reading another always sorts after it, even when this laptop's clock is minutes behind.

The clock only takes in stamps at most `max_ahead_ms` ahead of its own wall clock. Without that bound
one row stamped with the largest 64-bit value (a buggy or hostile peer) would drag every console's
clock to the end of time: each later stamp would overflow the store's integer, and the row's values
would win every last-writer-wins contest for ever. Events stamped further ahead are not observed (the
replicator sets them aside; see commander/domain/core/trust.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

COUNTER_BITS = 16
_COUNTER_MAX = (1 << COUNTER_BITS) - 1
MAX_AHEAD_MS = 10 * 60_000  # default: how far ahead of our wall clock a stamp may be and still be observed
STORE_MAX = (1 << 63) - 1  # the stores keep stamps in a signed 64-bit integer (BIGINT)
CEILING_MS = 7_258_118_400_000  # 2200-01-01: no clock of ours reads later, and stamps stay below STORE_MAX


def pack(wall_ms: int, counter: int) -> int:
    return (wall_ms << COUNTER_BITS) | counter


CEILING = (CEILING_MS << COUNTER_BITS) | _COUNTER_MAX


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
    max_ahead_ms: int = MAX_AHEAD_MS
    _wall: int = 0
    _counter: int = 0

    def limit(self) -> int:
        """The largest stamp this clock takes in now: wall clock plus the allowed drift, full counter."""
        return pack(self.physical() + self.max_ahead_ms, _COUNTER_MAX)

    def now(self) -> int:
        physical = self.physical()
        if physical > self._wall:
            self._wall, self._counter = physical, 0
        else:
            self._advance_counter()
        return pack(self._wall, self._counter)

    def observe(self, stamp: int, *, checked: bool = False) -> bool:
        """Take in a stamp written elsewhere, so every later local stamp sorts after it. A stamp further
        ahead of our wall clock than `max_ahead_ms` (or negative) is refused: False, nothing changes.

        `checked`: the stamp comes from this console's own store, where every row was checked against the
        drift when it came in (or was stamped by this computer, perhaps while its clock ran fast): only
        the hard ceiling applies, which keeps every later stamp far from the store's integer limit."""
        if stamp < 0 or stamp > (CEILING if checked else self.limit()):
            return False
        wall, counter = unpack(stamp)
        if wall > self._wall:
            self._wall, self._counter = wall, counter
        elif wall == self._wall and counter > self._counter:
            self._counter = counter
        return True

    def _advance_counter(self) -> None:
        if self._counter == _COUNTER_MAX:
            self._wall, self._counter = self._wall + 1, 0
        else:
            self._counter += 1
