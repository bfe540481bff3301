"""The library as a fold of runbook events: versions, reviews, freshness, suggestions, the YAML form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from commander.domain.core.errors import DomainError
from commander.domain.core.events import Actor, Event, EventDraft, validate_payload
from commander.domain.runbooks import library as runbooks
from commander.domain.runbooks.export import parse_yaml, to_yaml
from commander.domain.runbooks.library import Runbook, Section, Step, StepAt, fold_library, from_dict, to_dict

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "runbooks"
_clock = count(1)


def stamp(drafts: list[EventDraft], *, at: datetime = NOW, by: str = "Alex") -> list[Event]:
    """Decided events as a console would record them, each after the one before."""
    events = []
    for draft in drafts:
        validate_payload(draft.kind, draft.payload)
        number = next(_clock)
        events.append(
            Event(
                f"e{number:04d}",
                draft.stream,
                draft.kind,
                dict(draft.payload),
                Actor("u", by),
                number,
                draft.occurred_at or at,
                at,
                "console",
            )
        )
    return events


def sample(title: str = "Disk full", **changes: Any) -> Runbook:
    sections = runbooks.numbered(
        [
            Section("Diagnosis", (Step("", "Check usage", "diagnose", "df -h"),)),
            Section(
                "Mitigation",
                (
                    Step(
                        "",
                        "Free space",
                        "mitigate",
                        children=(Step("", "Delete old logs", "mitigate", "find /var/log -mtime +7 -delete"),),
                    ),
                ),
                "Be careful.",
            ),
        ]
    )
    base = Runbook(id=runbooks.runbook_id_for(title=title), title=title, services=("db",), sections=sections)
    return replace(base, **changes)


def saved(library: Mapping[str, runbooks.RunbookRecord], runbook: Runbook, **kwargs: Any) -> list[Event]:
    return stamp(runbooks.save(library, runbook), **kwargs)


def test_every_changed_save_is_a_new_version_and_an_unchanged_one_writes_nothing() -> None:
    first = saved({}, sample(source="runbooks/disk.md"))
    library = fold_library(first)
    record = library[sample().id]
    assert (record.current.version, record.current.version_id, record.current.source) == (
        1,
        first[0].id,
        "runbooks/disk.md",
    )
    assert runbooks.save(library, sample()) == []  # same content: nothing to write
    second = saved(library, sample(summary="When the data disk fills up."))
    library = fold_library(first + second)
    record = library[sample().id]
    assert [v.version for v in record.versions] == [1, 2]
    assert record.current.summary == "When the data disk fills up."
    assert record.versions[0].summary == ""
    assert record.current.digest == runbooks.digest_of(record.current)


def test_steps_are_numbered_by_place_and_flattened_depth_first() -> None:
    runbook = sample()
    assert runbook.all_steps() == [
        StepAt(runbook.sections[0].steps[0], 0),
        StepAt(runbook.sections[1].steps[0], 0),
        StepAt(runbook.sections[1].steps[0].children[0], 1),
    ]
    assert [found.step.id for found in runbook.all_steps()] == ["s1.1", "s2.1", "s2.1.1"]
    assert runbook.step("s2.1.1") == runbook.sections[1].steps[0].children[0]
    assert runbook.step("s9") is None


def test_a_runbook_is_stale_when_never_reviewed_or_reviewed_too_long_ago() -> None:
    assert sample().stale(NOW)
    assert not sample(reviewed_at=NOW - timedelta(days=89)).stale(NOW)
    assert sample(reviewed_at=NOW - timedelta(days=91)).stale(NOW)
    assert not sample(reviewed_at=NOW - timedelta(days=91)).stale(NOW, days=180)


def test_marking_reviewed_makes_it_fresh_and_keeps_who_and_why() -> None:
    events = saved({}, sample(reviewed_at=NOW - timedelta(days=200)))
    library = fold_library(events)
    assert library[sample().id].current.stale(NOW)
    events += stamp(
        runbooks.mark_reviewed(library[sample().id], "Checked after INC-7K2M"), at=NOW - timedelta(days=1), by="Sam"
    )
    record = fold_library(events)[sample().id]
    assert not record.current.stale(NOW)
    assert record.current.reviewed_at == NOW - timedelta(days=1)
    assert [(r.by, r.note) for r in record.reviews] == [("Sam", "Checked after INC-7K2M")]
    assert record.versions[0].reviewed_at == NOW - timedelta(days=200)  # the version itself is as saved


def test_retiring_hides_until_a_changed_save_brings_it_back() -> None:
    events = saved({}, sample())
    events += stamp(runbooks.retire(fold_library(events)[sample().id]))
    library = fold_library(events)
    assert library[sample().id].retired
    with pytest.raises(DomainError, match="already retired"):
        runbooks.retire(library[sample().id])
    assert runbooks.save(library, sample()) == []  # an unchanged re-import leaves it retired
    events += saved(library, sample(summary="Rewritten"))
    assert not fold_library(events)[sample().id].retired


def test_suggestions_stay_open_until_closed_on_any_console() -> None:
    events = saved({}, sample())
    record = fold_library(events)[sample().id]
    suggest = EventDraft(
        runbooks.stream(record.id),
        runbooks.SUGGESTED,
        {
            "runbook": record.id,
            "version_id": record.current.version_id,
            "step": "s1.1",
            "text": "Use df -hT to see the file system type",
            "incident": "i1",
            "reference": "INC-7K2M",
        },
    )
    events += stamp([suggest, replace(suggest, payload={**suggest.payload, "text": "Mention inodes"})], by="Sam")
    record = fold_library(events)[sample().id]
    assert [(s.step, s.by, s.reference) for s in record.suggestions] == [("s1.1", "Sam", "INC-7K2M")] * 2
    first = record.suggestions[0]
    events += stamp(runbooks.close_suggestion(record, first.id, accepted=True, note="In version 2"))
    record = fold_library(events)[sample().id]
    assert [s.text for s in record.suggestions] == ["Mention inodes"]
    with pytest.raises(DomainError, match="no open suggestion"):
        runbooks.close_suggestion(record, first.id, accepted=False)


def test_the_fold_is_the_same_whatever_order_the_events_arrive_in() -> None:
    events = saved({}, sample())
    events += saved(fold_library(events), sample(summary="v2"))
    events += stamp(runbooks.mark_reviewed(fold_library(events)[sample().id], "ok"))
    forward, backward = fold_library(events), fold_library(list(reversed(events)))
    assert forward[sample().id].current == backward[sample().id].current
    assert forward[sample().id].versions == backward[sample().id].versions


def test_content_a_newer_console_wrote_in_an_unknown_shape_is_passed_over() -> None:
    events = saved({}, sample())
    events += stamp(
        [
            EventDraft(
                runbooks.stream(sample().id),
                runbooks.SAVED,
                {
                    "runbook": sample().id,
                    "content": {
                        "title": "Disk full",
                        "sections": [{"title": "Steps", "steps": [{"text": "Watch it", "kind": "observe"}]}],
                    },
                    "digest": "x",
                    "source": "",
                },
            )
        ]
    )
    record = fold_library(events)[sample().id]
    assert record.current.version == 1 and len(record.versions) == 1


def test_ids_come_from_the_front_matter_the_path_or_the_title() -> None:
    uuid_key = "4b8f3c52-2f0a-4a77-9d55-8c3e5b1f2a10"
    assert runbooks.runbook_id_for(key=uuid_key.upper()) == uuid_key
    assert runbooks.runbook_id_for(key="pg-lag") == runbooks.runbook_id_for(key=" PG-LAG ")
    assert runbooks.runbook_id_for(path="db/pg-lag") != runbooks.runbook_id_for(key="db/pg-lag")
    assert runbooks.runbook_id_for(title="Disk  Full") == runbooks.runbook_id_for(title="disk full")


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("Diagnosis", "diagnose"),
        ("Investigation steps", "diagnose"),
        ("Mitigation", "mitigate"),
        ("Steps", "mitigate"),
        ("Rollback", "mitigate"),
        ("Mitigation / Rollback", "mitigate"),
        ("Escalation", "escalate"),
        ("Verify", "verify"),
        ("Mitigation / Verify", "verify"),
        ("Communication", "communicate"),
        ("Meaning", ""),
        ("Impact", ""),
    ],
)
def test_a_steps_kind_comes_from_its_section_title(title: str, kind: str) -> None:
    assert runbooks.kind_for(title) == kind


def test_matching_an_incident_by_alert_names_and_services_ignores_case_and_punctuation() -> None:
    runbook = sample(services=("orders-db", "Checkout"), alerts=("KubePodCrashLooping",))
    assert runbooks.matches(runbook, services=["checkout", "search"], alerts=["kube_pod_crash_looping"]) == [
        "alert KubePodCrashLooping",
        "service Checkout",
    ]
    assert runbooks.matches(runbook, services=["orders"]) == []


def test_the_yaml_form_round_trips_with_its_id() -> None:
    runbook = sample(
        reviewed_at=NOW,
        links=(("Dashboard", "https://grafana.example.com/d/disk"),),
        contacts=("DBA on-call",),
        tags=("db",),
        owner="Data",
        alerts=("DiskFull",),
    )
    parsed = parse_yaml(to_yaml(runbook, header="exported"), name="disk.yaml")
    assert parsed.key == runbook.id
    assert to_dict(parsed.runbook) == to_dict(runbook)


def test_the_shipped_yaml_sample_reads_with_short_steps_and_a_kind_of_its_own() -> None:
    parsed = parse_yaml((FIXTURES / "cache" / "redis-memory-high.yaml").read_text(encoding="utf-8"), name="r.yaml")
    runbook = parsed.runbook
    assert parsed.key == ""
    assert runbook.reviewed_at == datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
    short, nested = runbook.sections[1].steps
    assert (short.id, short.text, short.kind) == ("s2.1", "Scale the cache to the next size up", "mitigate")
    assert [c.kind for c in nested.children] == ["mitigate", "escalate"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("title: x\n", "not a Commander runbook"),
        ("- a\n- b\n", "not a Commander runbook"),
        ("title: a: b\nsections: []\n", "not valid YAML at line 1"),
        ("title: Disk\nsections: {a: 1}\n", "sections must be a list"),
        (
            "title: Disk\nsections:\n  - title: D\n    steps:\n      - text: ''\n",
            r"sections\[1\]\.steps\[1\]\.text is empty",
        ),
        (
            "title: Disk\nsections:\n  - title: D\n    steps:\n      - text: a\n        kind: pray\n",
            r"sections\[1\]\.steps\[1\]\.kind is 'pray'",
        ),
        ("title: Disk\nreviewed_at: someday\nsections: []\n", "reviewed_at 'someday' is not a date"),
        ("title: 5\nsections: []\n", "title must be text"),
    ],
)
def test_a_yaml_file_that_is_not_a_runbook_is_refused_with_where(text: str, message: str) -> None:
    with pytest.raises(DomainError, match=message):
        parse_yaml(text, name="x.yaml")


def test_from_dict_reads_back_what_to_dict_writes() -> None:
    runbook = sample(reviewed_at=NOW)
    assert from_dict(to_dict(runbook), id=runbook.id) == runbook


def test_yaml_aliases_that_expand_without_end_are_refused() -> None:
    laughs = "a: &a [" + ", ".join(["lol"] * 10) + "]\n"
    for this, last in zip("bcdefghi", "abcdefgh", strict=True):
        laughs += f"{this}: &{this} [" + ", ".join([f"*{last}"] * 10) + "]\n"
    laughs += "title: Laughs\nsections: [{title: S, steps: *i}]\n"
    with pytest.raises(DomainError, match="too big to be a runbook"):
        parse_yaml(laughs, name="laughs.yaml")
