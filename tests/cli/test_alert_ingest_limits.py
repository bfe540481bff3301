"""`commander alerts ingest` refuses what no Alertmanager or PagerDuty sends, in one sentence naming the
limit, and stores nothing of it (an ingested alert is an event every console keeps for ever)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import Run, refused


def webhook(**labels: str) -> str:
    return json.dumps(
        {
            "receiver": "commander",
            "status": "firing",
            "version": "4",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {"alertname": "ProbeFailure", **labels},
                    "annotations": {"summary": "down"},
                    "startsAt": "2026-11-28T08:08:45Z",
                    "fingerprint": "1a30ba71cca2921f",
                }
            ],
        }
    )


def ingested(run: Run) -> list[object]:
    listed = run("alerts", "list", "--source", "file", "--json")
    assert listed.code == 0, listed.err
    return list(listed.json()["alerts"])


def test_deeply_nested_json_is_refused_without_a_traceback(run: Run, tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    refused(
        run("alerts", "ingest", str(deep)),
        "The payload nests deeper than 64 levels",
        "Alertmanager and PagerDuty never send that: refused, nothing was ingested.",
    )
    assert ingested(run) == []


def test_a_ten_megabyte_label_is_refused_and_never_stored(run: Run, tmp_path: Path) -> None:
    huge = webhook(pod="p" * 10 * 2**20)
    refused(
        run("alerts", "ingest", "-", stdin=huge),
        "Standard input is larger than 5,242,880 bytes",
        "refused, nothing was read",
    )
    label = webhook(pod="p" * 3_000)
    refused(run("alerts", "ingest", "-", stdin=label), "has label 'pod' of 3,000 characters; the limit is 2,048")
    assert ingested(run) == []
    assert run("alerts", "ingest", "-", stdin=webhook(pod="checkout-7f9c")).code == 0
    assert len(ingested(run)) == 1


def test_a_file_past_the_limit_is_refused_before_it_is_read_whole(run: Run, tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as handle:
        handle.truncate(64 * 2**20)  # sparse: 64 MB that cost nothing to make
    refused(run("alerts", "ingest", str(big)), f"{big} is larger than 5,242,880 bytes", "split it")


def test_a_payload_that_is_not_utf8_says_so(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"alerts": ["\xff"]}'), encoding="utf-8", errors="surrogateescape")
    )
    refused(run("alerts", "ingest", "-"), "Standard input is not UTF-8 text (byte 0xff at position 13")
