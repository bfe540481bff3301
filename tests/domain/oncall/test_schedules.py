"""Schedules by example: handoffs on days the clocks change, restricted hours, overrides, escalation."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from commander.domain.core.errors import DomainError
from commander.domain.oncall.format import policy_from_dict, policy_to_dict, schedule_from_dict, schedule_to_dict
from commander.domain.oncall.report import fairness
from commander.domain.oncall.schedules import (
    EscalationLevel,
    EscalationPolicy,
    Override,
    Schedule,
    Target,
    escalation_plan,
    escalation_targets,
    final_oncall,
    now_and_next,
    shifts,
    who_is_on_call,
    whole_shifts,
)
from commander.domain.oncall.zones import instant, offset_changes, zone_named

H = timedelta(hours=1)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[arg-type, misc]


def schedule(*layers: dict[str, Any], zone: str = "Europe/Berlin", name: str = "Payments") -> Schedule:
    return schedule_from_dict({"name": name, "time_zone": zone, "layers": list(layers)})


def layer(participants: list[str], **fields: Any) -> dict[str, Any]:
    return {
        "name": fields.pop("name", "Primary"),
        "rotation": "daily",
        "handoff": "09:00",
        "start": "2026-01-05",
        "participants": participants,
        **fields,
    }


def with_overrides(found: Schedule, *overrides: Override) -> Schedule:
    return Schedule(found.name, found.zone, found.layers, found.description, overrides)


# -- handoffs across daylight saving -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "spring", "autumn"),
    [
        ("Europe/Berlin", (2026, 3, 28), (2026, 10, 24)),
        ("America/New_York", (2026, 3, 7), (2026, 10, 31)),
    ],
)
def test_a_daily_handoff_stays_at_nine_local_so_change_days_last_23_and_25_hours(
    zone: str, spring: tuple[int, int, int], autumn: tuple[int, int, int]
) -> None:
    found = schedule(layer(["Alex", "Sam", "Kim"]), zone=zone)
    for day, expected in ((spring, 23 * H), (autumn, 25 * H)):
        start = utc(*day) - timedelta(days=3)
        timeline = shifts(found, start, start + timedelta(days=7))[1:-1]  # whole shifts only
        assert all(s.start.astimezone(found.zone).time() == time(9) for s in timeline)
        lengths = {s.start.astimezone(found.zone).date().timetuple()[:3]: s.length for s in timeline}
        assert lengths[day] == expected
        assert [length for key, length in lengths.items() if key != day] == [24 * H] * (len(lengths) - 1)
        people = [s.person for s in timeline]
        assert all(a != b for a, b in zip(people, people[1:], strict=False))


def test_a_handoff_the_clocks_skip_happens_when_they_jump_and_a_repeated_one_at_its_first_showing() -> None:
    found = schedule(layer(["Alex", "Sam"], handoff="02:30"))
    spring = shifts(found, utc(2026, 3, 27, 12), utc(2026, 3, 31))
    assert [s.start for s in spring[1:]] == [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1), utc(2026, 3, 30, 0, 30)]
    autumn = shifts(found, utc(2026, 10, 24), utc(2026, 10, 27))
    assert [s.start for s in autumn[1:]] == [
        utc(2026, 10, 24, 0, 30),
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 26, 1, 30),
    ]
    assert autumn[2].length == 25 * H


def test_instants_of_wall_times_and_the_zones_offset_changes() -> None:
    berlin = zone_named("Europe/Berlin")
    assert instant(datetime(2026, 3, 29, 2, 30), berlin) == utc(2026, 3, 29, 1)
    assert instant(datetime(2026, 10, 25, 2, 30), berlin) == utc(2026, 10, 25, 0, 30)
    changes = offset_changes(berlin, utc(2026, 1, 1), utc(2027, 1, 1))
    assert [(c.at, c.name, c.daylight) for c in changes] == [
        (utc(2026, 3, 29, 1), "CEST", True),
        (utc(2026, 10, 25, 1), "CET", False),
    ]
    with pytest.raises(DomainError, match="'Europe/Berln' is not a time zone"):
        zone_named("Europe/Berln")


def test_a_weekly_rotation_hands_off_on_its_day_and_has_nobody_before_its_first_handoff() -> None:
    found = schedule(layer(["Alex", "Sam"], rotation="weekly", handoff_day="mon", start="2026-01-07"))
    assert final_oncall(found, utc(2026, 1, 10)) is None  # Saturday before the first Monday
    first = shifts(found, utc(2026, 1, 1), utc(2026, 1, 27))
    assert [(s.person, s.start) for s in first] == [
        ("Alex", utc(2026, 1, 12, 8)),
        ("Sam", utc(2026, 1, 19, 8)),
        ("Alex", utc(2026, 1, 26, 8)),
    ]


def test_a_custom_rotation_takes_turns_of_its_shift_length() -> None:
    found = schedule(
        layer(["Priya", "Omar"], rotation="custom", shift_hours=12, handoff="08:00"), zone="America/New_York"
    )
    day = shifts(found, utc(2026, 6, 1, 12), utc(2026, 6, 2, 12))
    assert [(s.person, s.start.astimezone(found.zone).hour, s.length) for s in day] == [
        ("Priya", 8, 12 * H),
        ("Omar", 20, 12 * H),
    ]


# -- layers, restrictions, overrides -------------------------------------------------------------------


def test_restricted_hours_let_the_layer_beneath_show_through() -> None:
    found = schedule(
        layer(["Alex"], name="Nights and weekends", rotation="weekly"),
        layer(["Dana"], name="Business hours", restrictions=[{"days": "weekdays", "from": "09:00", "to": "17:00"}]),
    )
    monday_noon, monday_night, saturday = utc(2026, 6, 1, 10), utc(2026, 6, 1, 20), utc(2026, 6, 6, 10)
    assert [(lv.name, p) for lv, p in who_is_on_call(found, monday_noon)] == [
        ("Business hours", "Dana"),
        ("Nights and weekends", "Alex"),
    ]
    assert final_oncall(found, monday_noon) == "Dana"
    assert final_oncall(found, monday_night) == "Alex"
    assert final_oncall(found, saturday) == "Alex"
    monday = shifts(found, utc(2026, 6, 1, 0), utc(2026, 6, 2, 0))
    assert [(s.person, s.start, s.end) for s in monday] == [
        ("Alex", utc(2026, 6, 1, 0), utc(2026, 6, 1, 7)),
        ("Dana", utc(2026, 6, 1, 7), utc(2026, 6, 1, 15)),
        ("Alex", utc(2026, 6, 1, 15), utc(2026, 6, 2, 0)),
    ]


def test_a_night_window_crosses_midnight_and_outside_every_window_nobody_is_on_call() -> None:
    found = schedule(layer(["Kim"], restrictions=[{"days": ["fri"], "from": "22:00", "to": "06:00"}]))
    assert final_oncall(found, utc(2026, 6, 6, 2)) == "Kim"  # Saturday 04:00 in Berlin
    assert final_oncall(found, utc(2026, 6, 6, 5)) is None  # Saturday 07:00
    assert final_oncall(found, utc(2026, 6, 4, 22)) is None  # Friday 00:00 belongs to no window
    night = shifts(found, utc(2026, 6, 1), utc(2026, 6, 8))
    assert [(s.start, s.end) for s in night] == [(utc(2026, 6, 5, 20), utc(2026, 6, 6, 4))]


def test_an_override_wins_and_one_that_covers_applies_only_while_that_person_is_on() -> None:
    base = schedule(layer(["Sam", "Alex"]))  # Alex on even days since 5 January: 1 June is one
    whole = Override("o1", "Payments", "Kim", utc(2026, 6, 1, 12), utc(2026, 6, 1, 14))
    covering = Override("o2", "Payments", "Lee", utc(2026, 6, 1, 0), utc(2026, 6, 4, 0), covers="alex")
    found = with_overrides(base, whole, covering)
    alex_day, sam_day = utc(2026, 6, 1, 10), utc(2026, 6, 2, 10)
    assert final_oncall(base, alex_day) == "Alex" and final_oncall(base, sam_day) == "Sam"
    assert final_oncall(found, alex_day) == "Lee"
    assert final_oncall(found, utc(2026, 6, 1, 13)) == "Kim"  # the plain override, then Lee covers Alex: Kim stays
    assert final_oncall(found, sam_day) == "Sam"
    timeline = shifts(found, utc(2026, 6, 1, 7), utc(2026, 6, 2, 7))
    assert [(s.person, s.start.hour, s.end.hour, s.source) for s in timeline] == [
        ("Lee", 7, 12, "override, covering alex"),
        ("Kim", 12, 14, "override"),
        ("Lee", 14, 7, "override, covering alex"),
    ]


def test_a_later_override_lies_on_an_earlier_one() -> None:
    base = schedule(layer(["Alex"]))
    found = with_overrides(
        base,
        Override("a", "Payments", "Sam", utc(2026, 6, 1), utc(2026, 6, 3)),
        Override("b", "Payments", "Kim", utc(2026, 6, 2), utc(2026, 6, 4), covers="Sam"),
    )
    assert final_oncall(found, utc(2026, 6, 2, 12)) == "Kim"
    assert final_oncall(found, utc(2026, 6, 3, 12)) == "Alex"  # Sam's override is over: Kim covers nobody


def test_now_and_next_give_the_whole_shift_under_way_and_the_next_person() -> None:
    found = schedule(layer(["Alex", "Sam"], rotation="weekly", handoff_day="monday"))
    current, upcoming = now_and_next(found, utc(2026, 6, 3, 12))
    assert current is not None and upcoming is not None
    assert (current.person, current.start, current.end) == ("Sam", utc(2026, 6, 1, 7), utc(2026, 6, 8, 7))
    assert (upcoming.person, upcoming.start) == ("Alex", utc(2026, 6, 8, 7))
    assert whole_shifts(found, utc(2026, 6, 3), utc(2026, 6, 4)) == [current]


# -- escalation ----------------------------------------------------------------------------------------


def test_escalation_targets_resolve_schedules_to_people_once_each() -> None:
    primary = schedule(layer(["Sam", "Alex"]), name="Primary")
    empty = schedule(layer(["Kim"], restrictions=[{"days": ["sun"], "from": "09:00", "to": "10:00"}]), name="Empty")
    policy = EscalationPolicy(
        "Payments",
        (
            EscalationLevel((Target("schedule", "Primary"),), 15),
            EscalationLevel(
                (
                    Target("person", "Dana"),
                    Target("schedule", "empty"),
                    Target("schedule", "Primary"),
                    Target("person", "alex"),
                ),
                30,
            ),
        ),
        repeat=1,
    )
    schedules = {"primary": primary, "empty": empty}
    at = utc(2026, 6, 1, 10)  # Monday: Alex's day
    assert [(r.person, r.via) for r in escalation_targets(policy, 0, at, schedules)] == [("Alex", "Primary")]
    assert [(r.person, r.via) for r in escalation_targets(policy, 1, at, schedules)] == [
        ("Dana", ""),
        ("Alex", "Primary"),
    ]
    assert [(s.level, s.after, s.round) for s in escalation_plan(policy)] == [
        (0, timedelta(0), 0),
        (1, timedelta(minutes=15), 0),
        (0, timedelta(minutes=45), 1),
        (1, timedelta(minutes=60), 1),
    ]
    with pytest.raises(IndexError):
        escalation_targets(policy, 2, at, schedules)


# -- the format ----------------------------------------------------------------------------------------

SAMPLE: dict[str, Any] = {
    "name": "Payments",
    "time_zone": "Europe/Berlin",
    "description": "Card payments",
    "layers": [
        {
            "name": "Weekly",
            "rotation": "weekly",
            "handoff": "09:00",
            "handoff_day": "monday",
            "start": "2026-01-05",
            "participants": ["Alex", "Sam"],
        },
        {
            "name": "Nights",
            "rotation": "custom",
            "shift_hours": 12,
            "handoff": "21:00",
            "start": "2026-01-05",
            "participants": ["Kim"],
            "restrictions": [{"days": ["mon", "tue"], "from": "22:00", "to": "24:00"}],
        },
    ],
}


def test_the_canonical_form_reads_back_to_the_same_schedule_and_policy() -> None:
    found = schedule_from_dict(SAMPLE)
    assert schedule_to_dict(found) == SAMPLE
    assert schedule_from_dict(schedule_to_dict(found)) == found
    policy = {
        "name": "Payments",
        "repeat": 1,
        "levels": [{"delay_minutes": 15, "targets": [{"schedule": "Payments"}, {"person": "Dana"}]}],
    }
    assert policy_to_dict(policy_from_dict(policy)) == policy


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "In schedule 'Payments': 'Mars/Olympus' is not a time zone"),
        ({"layers": []}, "In schedule 'Payments': layers is missing."),
        ({"colour": "red"}, "'colour' is not a field Commander knows"),
        (
            {"layers": [{**SAMPLE["layers"][0], "handoff": "9am"}]},
            "layer 'Weekly': handoff '9am' is not a time of day. Write it as \"HH:MM\"",
        ),
        ({"layers": [{**SAMPLE["layers"][0], "rotation": "custom"}]}, "a custom rotation needs shift_hours"),
        ({"layers": [{**SAMPLE["layers"][0], "rotation": "daily"}]}, "handoff_day is for weekly rotations only"),
        ({"layers": [{**SAMPLE["layers"][0], "handoff_day": "funday"}]}, "'funday' is not a weekday"),
        (
            {"layers": [{**SAMPLE["layers"][0], "start": "5 Jan"}]},
            "start '5 Jan' is not a date. Write it as YYYY-MM-DD",
        ),
        ({"layers": [SAMPLE["layers"][0], SAMPLE["layers"][0]]}, "two layers are called 'Weekly'"),
        ({"layers": [{**SAMPLE["layers"][1], "shift_hours": 0}]}, "shift_hours should be a whole number from 1 to 672"),
    ],
)
def test_a_schedule_that_does_not_read_says_where_and_how_to_write_it(change: dict[str, Any], message: str) -> None:
    with pytest.raises(DomainError, match=message.replace("(", r"\(").replace(")", r"\)")):
        schedule_from_dict({**SAMPLE, **change})


def test_a_policy_target_is_a_schedule_or_a_person() -> None:
    with pytest.raises(DomainError, match="level 1: each target is 'schedule: NAME' or 'person: NAME'"):
        policy_from_dict({"name": "P", "levels": [{"targets": [{"team": "SRE"}]}]})
    with pytest.raises(DomainError, match="delay_minutes should be a whole number from 1 to 1440"):
        policy_from_dict({"name": "P", "levels": [{"delay_minutes": 0, "targets": [{"person": "Dana"}]}]})


# -- fairness ------------------------------------------------------------------------------------------


def test_fairness_splits_off_hours_in_the_schedules_zone() -> None:
    found = schedule(layer(["Alex", "Sam"]))
    rows = fairness([found], utc(2026, 6, 1, 7), utc(2026, 6, 3, 7))  # Monday 09:00 to Wednesday 09:00 in Berlin
    assert [(r.person, r.shifts, r.total, r.off_hours) for r in rows] == [
        ("Alex", 1, 24 * H, 15 * H),
        ("Sam", 1, 24 * H, 15 * H),
    ]
    weekend = fairness([found], utc(2026, 6, 6, 7), utc(2026, 6, 7, 7))
    assert weekend[0].business == timedelta(0) and weekend[0].by_schedule == {"Payments": 24 * H}


def test_the_next_person_is_found_however_far_ahead_within_the_horizon() -> None:
    alone = schedule(layer(["Alex"], rotation="weekly"))
    assert now_and_next(alone, utc(2026, 6, 3))[1] is None
    later = with_overrides(alone, Override("o", "Payments", "Sam", utc(2026, 6, 23), utc(2026, 6, 24)))
    current, upcoming = now_and_next(later, utc(2026, 6, 3))
    assert current is not None and current.person == "Alex"
    assert upcoming is not None and (upcoming.person, upcoming.start) == ("Sam", utc(2026, 6, 23))
    assert now_and_next(later, utc(2026, 6, 3), horizon=timedelta(days=10))[1] is None
