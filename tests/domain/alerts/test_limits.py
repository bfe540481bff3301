"""Pushed alerts are bounded before anything is stored: size, nesting, count, labels and annotations.
Alerts read from a source are trimmed to the same bounds instead of refused."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from commander.domain.alerts import bounded_json
from commander.domain.alerts.alerts import (
    ANNOTATION_MAX,
    KEY_MAX,
    LABEL_MAX,
    MAX_DEPTH,
    MAX_ENTRIES,
    PUSHED_MAX_ALERTS,
    PUSHED_MAX_BYTES,
    Alert,
    from_api,
    known_time,
    parse_pushed,
    within_limits,
)
from commander.domain.core.errors import DomainError


def webhook(*alerts: dict[str, Any]) -> str:
    return json.dumps({"receiver": "commander", "status": "firing", "version": "4", "alerts": list(alerts)})


def am_alert(
    name: str = "HighErrorRate",
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "status": "firing",
        "labels": {"alertname": name, **(labels or {})},
        "annotations": annotations or {"summary": "5xx above 5%"},
        "startsAt": "2026-11-28T09:10:00Z",
        **extra,
    }


def test_json_nested_past_the_limit_is_refused_before_parsing_without_a_recursion_error() -> None:
    deep = "[" * 200_000 + "]" * 200_000  # json.loads alone: RecursionError
    with pytest.raises(
        DomainError,
        match=r"^The payload nests deeper than 64 levels; Alertmanager and PagerDuty "
        r"never send that: refused, nothing was ingested\.$",
    ):
        parse_pushed(deep, "file")
    in_a_label = webhook(am_alert(labels={"x": "y"})).replace('"y"', "[" * 100 + "]" * 100)
    with pytest.raises(DomainError, match="nests deeper than 64 levels"):
        parse_pushed(in_a_label, "file")


def test_nesting_is_counted_outside_strings_only_and_stays_linear() -> None:
    assert bounded_json.nesting('[1, {"a": "[[[[{{", "b": [2, "\\"]"]}]') == 3
    assert bounded_json.nesting('"unterminated [[[[') == 0
    assert bounded_json.nesting("") == 0
    # An unterminated string full of escaped quotes: one pass, not one per quote.
    assert bounded_json.nesting('"' + '\\"' * 500_000) == 0
    nested = {"a": [{"b": [[{"c": "]]]]"}]]}]}
    assert bounded_json.loads(json.dumps(nested), max_depth=6) == nested
    with pytest.raises(bounded_json.TooDeep):
        bounded_json.loads(json.dumps(nested), max_depth=5)


def _nesting_one_character_at_a_time(text: str) -> int:
    deepest = level = 0
    inside = False
    position = 0
    while position < len(text):
        char = text[position]
        if char == "\\":
            position += 2
            continue
        if char == '"':
            inside = not inside
        elif not inside and char in "[{":
            level += 1
            deepest = max(deepest, level)
        elif not inside and char in "]}":
            level -= 1
        position += 1
    return deepest


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 1 << 18])
def test_nesting_read_in_pieces_agrees_with_reading_one_character_at_a_time(
    piece: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bounded_json, "PIECE", piece)
    chooser = random.Random(piece)
    for _ in range(2_000):  # valid or not: escapes, quotes and brackets cut at every place a piece can end
        text = "".join(chooser.choice('[]{}"\\ab,:') for _ in range(chooser.randint(0, 60)))
        assert bounded_json.nesting(text) == _nesting_one_character_at_a_time(text), text


def test_a_payload_past_five_megabytes_is_refused_by_its_size() -> None:
    big = webhook(am_alert(annotations={"description": "x" * PUSHED_MAX_BYTES}))
    with pytest.raises(DomainError, match=r"^The payload is 5,24\d,\d{3} bytes; the limit is 5,242,880 \(5 MB\)"):
        parse_pushed(big, "file")
    # Counted in UTF-8 bytes, not characters: 1.7 million characters, each three bytes long.
    wide = webhook(am_alert(annotations={"description": "€" * (PUSHED_MAX_BYTES // 3 + 1)}))
    with pytest.raises(DomainError, match="bytes; the limit is 5,242,880"):
        parse_pushed(wide, "file")


def test_a_ten_megabyte_label_is_refused_naming_the_label_and_the_limit() -> None:
    with pytest.raises(
        DomainError,
        match=r"^The alert \(HighErrorRate\) has label 'pod' of 2,049 characters; "
        r"the limit is 2,048: refused, nothing was ingested\.$",
    ):
        parse_pushed(webhook(am_alert(labels={"pod": "p" * (LABEL_MAX + 1)})), "file")
    with pytest.raises(DomainError, match=r"^Alert 2 \(Big\) has annotation 'description' of 16,385 characters"):
        parse_pushed(
            webhook(am_alert(), am_alert("Big", annotations={"description": "d" * (ANNOTATION_MAX + 1)})), "file"
        )


@pytest.mark.parametrize(
    ("alert", "message"),
    [
        (am_alert(labels={f"l{i}": "v" for i in range(MAX_ENTRIES)}), "has 101 labels; the limit is 100"),
        (am_alert(annotations={f"a{i}": "v" for i in range(MAX_ENTRIES + 1)}), "has 101 annotations; the limit is 100"),
        (am_alert(labels={"k" * (KEY_MAX + 1): "v"}), "a name among its labels of 257 characters; the limit is 256"),
        (am_alert(fingerprint="f" * 256), "a fingerprint of 256 characters; the limit is 255"),
        (
            am_alert(labels={f"l{i}": "v" * 1_000 for i in range(51)}),
            "has labels of 51,0\\d\\d characters in all; the limit is 50,000",
        ),
        (
            am_alert(annotations={f"a{i}": "d" * 16_000 for i in range(13)}),
            "has annotations of 208,000 characters in all; the limit is 200,000",
        ),
        (am_alert(generatorURL="http://prom/" + "q" * 9_000), "a generatorURL of 9,012 characters; the limit is 8,192"),
    ],
)
def test_each_bound_on_an_alert_is_named_when_refused(alert: dict[str, Any], message: str) -> None:
    with pytest.raises(DomainError, match=message):
        parse_pushed(webhook(alert), "file")


def test_too_many_alerts_at_once_are_refused_with_the_way_to_split_them() -> None:
    many = webhook(*[am_alert(f"A{i}") for i in range(PUSHED_MAX_ALERTS + 1)])
    with pytest.raises(
        DomainError,
        match=r"^The payload holds 5,001 alerts; the limit is 5,000 at a time\. Split it "
        r"\(Alertmanager's webhook setting max_alerts does\)",
    ):
        parse_pushed(many, "file")
    assert len(parse_pushed(webhook(*[am_alert(f"A{i}") for i in range(PUSHED_MAX_ALERTS)]), "file")) == 5_000


def test_pagerduty_details_are_cut_not_refused() -> None:
    event = {
        "event_action": "trigger",
        "dedup_key": "k",
        "payload": {
            "summary": "Checkout 502s",
            "source": "lb-1",
            "severity": "critical",
            "custom_details": {"trace": "t" * 100_000},
        },
    }
    [alert] = parse_pushed(json.dumps(event), "file")
    assert len(alert.annotations["details"]) == ANNOTATION_MAX and alert.annotations["details"].endswith("…")


def test_an_alert_read_from_a_source_is_trimmed_to_the_bounds_not_refused() -> None:
    read = from_api(
        am_alert(
            labels={"pod": "p" * 10_000_000, "service": "checkout", "k" * 300: "v"},
            annotations={"description": "d" * 100_000},
            fingerprint="f" * 1_000,
        ),
        "prod",
    )
    kept = within_limits(read)
    assert kept.labels == {"alertname": "HighErrorRate", "service": "checkout"}  # never a cut value to match on
    assert len(kept.annotations["description"]) == ANNOTATION_MAX
    assert len(kept.fingerprint) == 16 and kept.name == "HighErrorRate"
    assert len(json.dumps(kept.to_payload())) < 20_000
    ordinary = from_api(am_alert(), "prod")
    assert within_limits(ordinary) is ordinary
    crowded = within_limits(
        from_api(
            am_alert(
                "Zed",
                labels={f"a{i:02}": "v" * 2_000 for i in range(99)},
                annotations={f"a{i:02}": "d" * 16_000 for i in range(99)},
            ),
            "prod",
        )
    )
    assert list(crowded.labels)[0] == "alertname" and sum(map(len, crowded.labels.values())) <= 50_000
    assert sum(map(len, crowded.annotations.values())) == 200_000 and crowded.name == "Zed"


@pytest.mark.parametrize("start", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "3000-01-01T00:00:00Z"])
def test_a_start_outside_the_years_kept_reads_as_unknown(start: str) -> None:
    alert = from_api(am_alert(startsAt=start), "prod")
    assert isinstance(alert, Alert) and not known_time(alert.starts_at)
    assert known_time(from_api(am_alert(), "prod").starts_at)
    assert from_api(am_alert(), "prod").starts_at == datetime(2026, 11, 28, 9, 10, tzinfo=UTC)


def test_the_limits_leave_room_for_what_the_services_send() -> None:
    assert MAX_DEPTH == 64
    ordinary = webhook(*[am_alert(f"A{i}", labels={"instance": f"lb-{i}:9100", "job": "node"}) for i in range(50)])
    assert len(parse_pushed(ordinary, "file")) == 50
