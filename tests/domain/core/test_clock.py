"""The hybrid clock: monotonic, causal across skewed laptops, and safe when its counter runs out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from commander.domain.core.clock import COUNTER_BITS, HybridClock, from_ms, pack, to_ms, unpack, wall_of

T0 = to_ms(datetime(2026, 11, 28, 9, 30, tzinfo=UTC))
MINUTES = 60_000


class FakeWall:
    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def test_pack_and_unpack_are_inverse_and_sort_like_the_pair() -> None:
    assert unpack(pack(T0, 7)) == (T0, 7)
    assert pack(T0, 65_535) < pack(T0 + 1, 0)
    assert wall_of(pack(T0, 3)) == from_ms(T0)


def test_to_ms_refuses_a_naive_time_and_round_trips_an_aware_one() -> None:
    with pytest.raises(ValueError, match="time zone"):
        to_ms(datetime(2026, 11, 28, 9, 30))
    assert from_ms(T0) == datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def test_stamps_strictly_increase_while_the_wall_clock_stands_still() -> None:
    clock = HybridClock(physical=FakeWall(T0))
    stamps = [clock.now() for _ in range(1_000)]
    assert stamps == sorted(set(stamps))
    assert unpack(stamps[0]) == (T0, 0)
    assert unpack(stamps[-1]) == (T0, 999)


def test_stamps_never_go_back_when_the_wall_clock_does() -> None:
    wall = FakeWall(T0)
    clock = HybridClock(physical=wall)
    before = clock.now()
    wall.ms -= 10 * MINUTES  # NTP steps the clock back
    after = clock.now()
    assert after > before
    assert unpack(after)[0] == T0


def test_a_moving_wall_clock_resets_the_counter() -> None:
    wall = FakeWall(T0)
    clock = HybridClock(physical=wall)
    clock.now()
    clock.now()
    wall.ms += 5
    assert unpack(clock.now()) == (T0 + 5, 0)


@pytest.mark.parametrize("skew_minutes", [-30, -5, -1, 1, 5, 9])
def test_after_observing_a_remote_stamp_every_local_stamp_sorts_after_it(skew_minutes: int) -> None:
    remote_wall = FakeWall(T0 + skew_minutes * MINUTES)  # a laptop minutes ahead of or behind ours
    remote = HybridClock(physical=remote_wall)
    remote_stamps = [remote.now() for _ in range(3)]

    wall = FakeWall(T0)
    local = HybridClock(physical=wall)
    local.now()
    for stamp in remote_stamps:
        local.observe(stamp)
    later = [local.now() for _ in range(5)]
    assert min(later) > max(remote_stamps)
    wall.ms += 1  # our wall moves on, still behind a fast remote laptop
    assert local.now() > max(remote_stamps)


def test_observing_an_older_stamp_changes_nothing() -> None:
    clock = HybridClock(physical=FakeWall(T0))
    clock.now()
    latest = clock.now()
    clock.observe(pack(T0 - 5 * MINUTES, 40))
    clock.observe(pack(T0, 0))
    assert clock.now() == latest + 1


def test_observing_the_same_millisecond_with_a_higher_counter_takes_the_counter() -> None:
    clock = HybridClock(physical=FakeWall(T0))
    clock.now()
    clock.observe(pack(T0, 500))
    assert unpack(clock.now()) == (T0, 501)


def test_counter_overflow_moves_into_the_next_millisecond_and_stays_ordered() -> None:
    clock = HybridClock(physical=FakeWall(T0))
    limit = (1 << COUNTER_BITS) - 1
    stamps = [clock.now() for _ in range(limit + 3)]
    assert unpack(stamps[limit]) == (T0, limit)
    assert unpack(stamps[limit + 1]) == (T0 + 1, 0)
    assert all(a < b for a, b in zip(stamps, stamps[1:], strict=False))


def test_observing_a_stamp_with_a_full_counter_overflows_cleanly() -> None:
    clock = HybridClock(physical=FakeWall(T0))
    full = pack(T0 + MINUTES, (1 << COUNTER_BITS) - 1)
    clock.observe(full)
    following = clock.now()
    assert following > full
    assert unpack(following) == (T0 + MINUTES + 1, 0)


def test_two_consoles_exchanging_stamps_keep_causal_order_despite_skew() -> None:
    """A note answered on a laptop five minutes behind still sorts after the note it answers."""
    fast_wall, slow_wall = FakeWall(T0 + 5 * MINUTES), FakeWall(T0)
    fast, slow = HybridClock(physical=fast_wall), HybridClock(physical=slow_wall)
    question = fast.now()
    slow.observe(question)
    answer = slow.now()
    fast.observe(answer)
    reply = fast.now()
    assert question < answer < reply
    assert wall_of(answer) - wall_of(question) < timedelta(seconds=1)


@pytest.mark.parametrize("stamp", [(1 << 63) - 1, (1 << 64) - 1, pack(T0 + 11 * MINUTES, 0), -1])
def test_a_stamp_beyond_the_allowed_drift_is_not_observed(stamp: int) -> None:
    """Clock poisoning: one row stamped with the largest 64-bit value must not drag this clock to the
    end of time (every later stamp would overflow the store's integer and win every contest)."""
    clock = HybridClock(physical=FakeWall(T0))
    assert clock.observe(stamp) is False
    assert unpack(clock.now()) == (T0, 0)


def test_the_allowed_drift_is_the_clocks_setting() -> None:
    clock = HybridClock(physical=FakeWall(T0), max_ahead_ms=30 * MINUTES)
    assert clock.observe(pack(T0 + 29 * MINUTES, 5)) is True
    assert unpack(clock.now()) == (T0 + 29 * MINUTES, 6)
    assert clock.observe(pack(T0 + 31 * MINUTES, 0)) is False
    assert clock.limit() == pack(T0 + 30 * MINUTES, (1 << COUNTER_BITS) - 1)


def test_a_stamp_from_our_own_store_is_taken_in_up_to_the_ceiling_only() -> None:
    """Rows of this console's store were checked on their way in, or stamped here while the clock ran
    fast: an hour ahead is taken in; the end of time still is not."""
    clock = HybridClock(physical=FakeWall(T0))
    assert clock.observe(pack(T0 + 60 * MINUTES, 0), checked=True) is True
    assert clock.now() > pack(T0 + 60 * MINUTES, 0)
    assert clock.observe((1 << 63) - 1, checked=True) is False
