"""Properties of schedules, over random rotations and instants around the daylight-saving changes of
Europe/Berlin and America/New_York: one person per layer at every instant, shifts that tile time, handoffs
at their wall-clock time, the range answer agreeing with the instant answer, and overrides winning."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commander.domain.oncall.format import schedule_from_dict
from commander.domain.oncall.schedules import (
    Override,
    Schedule,
    final_oncall,
    handoff,
    layer_person,
    shifts,
    who_is_on_call,
)
from commander.domain.oncall.zones import offset_changes, zone_named

ZONES = ("Europe/Berlin", "America/New_York")
PEOPLE = ("Alex", "Sam", "Kim", "Dana", "Lee", "Priya")
SPAN_START, SPAN_END = datetime(2025, 1, 1, tzinfo=UTC), datetime(2027, 12, 31, tzinfo=UTC)
CHANGES = sorted(c.at for zone in ZONES for c in offset_changes(zone_named(zone), SPAN_START, SPAN_END))
SECOND = timedelta(seconds=1)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def layer_data(draw: st.DrawFn, *, restricted: bool = False) -> dict[str, Any]:
    rotation = draw(st.sampled_from(["daily", "weekly", "custom"]))
    data: dict[str, Any] = {
        "rotation": rotation,
        # Any minute of the day: 02:xx handoffs fall in Berlin's and New York's skipped or repeated hour.
        "handoff": draw(st.builds(time, st.integers(0, 23), st.integers(0, 59))).strftime("%H:%M"),
        "start": draw(st.dates(date(2025, 1, 1), date(2027, 6, 30))).isoformat(),
        "participants": draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=5)),
    }
    if rotation == "custom":
        data["shift_hours"] = draw(st.integers(1, 80))
    if rotation == "weekly" and draw(st.booleans()):
        data["handoff_day"] = draw(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]))
    if restricted and draw(st.booleans()):
        data["restrictions"] = draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "days": st.lists(
                            st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), min_size=1, unique=True
                        ),
                        "from": st.builds(time, st.integers(0, 23), st.sampled_from([0, 30])).map(
                            lambda t: t.strftime("%H:%M")
                        ),
                        "to": st.builds(time, st.integers(0, 23), st.sampled_from([0, 30])).map(
                            lambda t: t.strftime("%H:%M")
                        ),
                    }
                ),
                min_size=1,
                max_size=3,
            )
        )
    return data


@st.composite
def schedules(draw: st.DrawFn, *, restricted: bool = False, most: int = 3) -> Schedule:
    layers = draw(st.lists(layer_data(restricted=restricted), min_size=1, max_size=most))
    for number, layer in enumerate(layers, start=1):
        layer["name"] = f"Layer {number}"
    return schedule_from_dict({"name": "Payments", "time_zone": draw(st.sampled_from(ZONES)), "layers": layers})


# Instants near a change of offset (where bugs live), or anywhere in the span.
instants = st.one_of(
    st.builds(
        lambda change, offset: change + timedelta(seconds=offset),
        st.sampled_from(CHANGES),
        st.integers(-3 * 86400, 3 * 86400),
    ),
    st.datetimes(SPAN_START.replace(tzinfo=None), SPAN_END.replace(tzinfo=None)).map(lambda d: d.replace(tzinfo=UTC)),
)


def started(schedule: Schedule, at: datetime) -> bool:
    return all(handoff(layer, schedule.zone, 0) <= at for layer in schedule.layers)


@PROPERTY
@given(schedules(), instants)
def test_an_unrestricted_layer_has_exactly_one_person_at_every_instant_after_its_first_handoff(
    schedule: Schedule, at: datetime
) -> None:
    for layer in schedule.layers:
        person = layer_person(layer, schedule.zone, at)
        assert (person is not None) == (at >= handoff(layer, schedule.zone, 0))
        assert person is None or person in layer.participants
    begun = [layer for layer in schedule.layers if at >= handoff(layer, schedule.zone, 0)]
    assert [layer.name for layer, _ in who_is_on_call(schedule, at)] == [layer.name for layer in reversed(begun)]


@PROPERTY
@given(schedules(), instants, st.integers(1, 14 * 24))
def test_shifts_tile_time_with_no_gap_and_no_overlap(schedule: Schedule, start: datetime, hours: int) -> None:
    first = max(handoff(layer, schedule.zone, 0) for layer in schedule.layers)
    start = max(start, first)
    end = start + timedelta(hours=hours)
    timeline = shifts(schedule, start, end)
    assert timeline[0].start == start and timeline[-1].end == end
    assert all(a.end == b.start for a, b in zip(timeline, timeline[1:], strict=False))
    assert all(s.start < s.end for s in timeline)


@PROPERTY
@given(schedules(most=1), instants, st.integers(1, 21 * 24))
def test_every_handoff_is_on_the_wall_clock_and_turns_follow_the_participants(
    schedule: Schedule, start: datetime, hours: int
) -> None:
    [layer] = schedule.layers
    timeline = shifts(schedule, start, start + timedelta(hours=hours))
    for shift in timeline:
        assert shift.person == layer.participants[shift.turn % len(layer.participants)]
        if shift.start == start:
            continue  # cut at the window's edge, not a handoff
        wall = shift.start.astimezone(schedule.zone).replace(tzinfo=None)
        meant = layer.first_handoff + shift.turn * layer.turn
        if wall != meant:  # only where the clocks skipped that wall time: then it is the moment they jumped
            assert shift.start in CHANGES, (shift, wall, meant)
            assert wall > meant and wall - meant <= timedelta(hours=1)
    for a, b in zip(timeline, timeline[1:], strict=False):
        # Turns follow each other, but for a turn wholly in wall time the clocks skip (an hourly rotation's
        # 02:00 turn in spring): it lasts no time and is left out.
        skipped = range(a.turn + 1, b.turn)
        assert b.turn > a.turn and all(
            handoff(layer, schedule.zone, t) == handoff(layer, schedule.zone, t + 1) for t in skipped
        )
    assert all(abs(s.length - layer.turn) <= timedelta(hours=1) for s in timeline[1:-1])


overrides = st.builds(
    lambda number, person, start, hours, covers: Override(
        f"o{number}", "Payments", person, start, start + timedelta(hours=hours), covers
    ),
    st.integers(0, 99),
    st.sampled_from(PEOPLE),
    instants,
    st.integers(1, 96),
    st.one_of(st.just(""), st.sampled_from(PEOPLE)),
)


@PROPERTY
@given(schedules(restricted=True), st.lists(overrides, max_size=3), instants, st.integers(1, 10 * 24))
def test_the_timeline_agrees_with_who_is_on_call_at_each_instant(
    schedule: Schedule, added: list[Override], start: datetime, hours: int
) -> None:
    schedule = Schedule(schedule.name, schedule.zone, schedule.layers, overrides=tuple(added))
    end = start + timedelta(hours=hours)
    timeline = shifts(schedule, start, end)
    cursor = start
    for shift in timeline:
        assert cursor <= shift.start < shift.end <= end
        if cursor < shift.start:  # nobody on call in between
            assert final_oncall(schedule, cursor + (shift.start - cursor) / 2) is None
        for probe in (shift.start, shift.start + shift.length / 2, shift.end - SECOND):
            if probe >= shift.start:
                assert final_oncall(schedule, probe) == shift.person, (probe, shift)
        cursor = shift.end
    if cursor < end:
        assert final_oncall(schedule, cursor + (end - cursor) / 2) is None


@PROPERTY
@given(schedules(restricted=True), overrides, st.integers(0, 999))
def test_an_override_wins_while_it_applies(schedule: Schedule, override: Override, permille: int) -> None:
    at = override.start + (override.end - override.start) * permille / 1000
    beneath = final_oncall(schedule, at)
    with_it = Schedule(schedule.name, schedule.zone, schedule.layers, overrides=(override,))
    if not override.covers or (beneath is not None and beneath.casefold() == override.covers.casefold()):
        assert final_oncall(with_it, at) == override.person
    else:
        assert final_oncall(with_it, at) == beneath
    outside = override.end + timedelta(seconds=1)
    assert final_oncall(with_it, outside) == final_oncall(schedule, outside)
