"""Exports: Markdown that cannot be broken by what people typed, lossless JSON, CSV that round-trips."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import unicodedata
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from commander.domain.core.policy import Policy
from commander.domain.incident import decisions
from commander.domain.timeline.entries import IncidentView
from commander.domain.timeline.export import CSV_COLUMNS, markdown_text, to_csv, to_json, to_markdown
from tests.helpers.replica import INCIDENT_ID, Replica

BERLIN = ZoneInfo("Europe/Berlin")
HOSTILE = [
    "<script>alert('x')</script> & <b>bold</b> &amp; &copy;",
    "| pipes | in | a | note |",
    "# heading\n## another\n- bullet\n+ plus\n1. ordered\n> quote\n===\n---\n    indented code",
    "```\nfenced\n```\n~~~",
    "*stars* _under_ **strong** `code` [link](http://evil.example) ![img](x.png) <http://auto.example>",
    "[ref]: http://evil.example\nback\\slash\\",
    "خطأ في الدفع — מערכת התשלומים 💳🔥 支付失败 e\u0301",  # the domain stores it NFC: é
]
STORED = [unicodedata.normalize("NFC", text) for text in HOSTILE]


def _view(replica: Replica, policy: Policy) -> IncidentView:
    view = IncidentView(INCIDENT_ID, policy)
    view.load(replica.known.values())
    return view


@pytest.fixture
def story(alex: Replica, policy: Policy) -> IncidentView:
    """A SEV1 with hostile notes, a pinned one, an edited one, a deleted one and a handoff."""
    alex.declare(
        title="Checkout <b>502s</b> | # not a heading",
        severity="SEV2",
        services=("checkout-api", "payments"),
        summary="Customers cannot pay.\n- 30% of requests fail",
        detected_at=alex.now() - timedelta(minutes=10),
    )
    for text in HOSTILE:
        alex.tick(timedelta(minutes=1))
        alex.act(lambda s, text=text: decisions.add_note(s, text, now=alex.now()))
    alex.tick(timedelta(minutes=1))
    pinned = alex.act(
        lambda s: decisions.add_note(s, "Rolled back v2.31 — 502 rate falling", now=alex.now(), pinned=True)
    )[0].id
    alex.tick(timedelta(minutes=1))
    edited = alex.act(lambda s: decisions.add_note(s, "502 rate 4%", now=alex.now()))[0].id
    alex.act(lambda s: decisions.edit_note(s, edited, "502 rate 0.4%"))
    alex.tick(timedelta(minutes=1))
    gone = alex.act(lambda s: decisions.add_note(s, "password=hunter2 (oops)", now=alex.now()))[0].id
    alex.act(lambda s: decisions.delete_note(s, gone))
    alex.act(lambda s: decisions.change_severity(s, "SEV1", reason="all regions", policy=policy))
    alex.act(lambda s: decisions.assign_role(s, "IC", "Sam", policy=policy))
    alex.tick(timedelta(minutes=1))
    alex.act(lambda s: decisions.change_status(s, "mitigated", now=alex.now(), reason="rolled back"))
    view = _view(alex, policy)
    assert view.entry(pinned) is not None and view.entry(pinned).pinned  # type: ignore[union-attr]
    return view


def _unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def _note_texts(view: IncidentView) -> list[str]:
    return [e.text for e in view.entries if e.kind == "note.added" and not e.deleted_by]


# -- Markdown ----------------------------------------------------------------------------------------


def test_markdown_has_the_facts_milestones_roles_and_timeline(story: IncidentView) -> None:
    text = to_markdown(story, BERLIN)
    state = story.state
    assert text.startswith(f"# {state.reference}: ")
    assert "| Severity | SEV1 (Critical) |" in text
    assert "| Status | mitigated |" in text
    assert "| Services | checkout-api, payments |" in text
    assert "Customers cannot pay.<br>\\- 30% of requests fail" in text
    detected = state.milestones["detected"]
    assert (
        f"| Detected | {detected.strftime('%Y-%m-%dT%H:%M:%SZ')} | "
        f"{detected.astimezone(BERLIN).strftime('%Y-%m-%d %H:%M:%S')} CET |" in text
    )
    assert "| Incident Commander | Sam |" in text
    assert "Alex 2026-11-28 10:30:00 CET to 2026-11-28" in text  # the handoff's history, local times
    assert "| Communications Lead | unfilled (key role) |" in text
    assert "(**pinned**)" in text and "_edited by Alex_" in text
    assert "502 rate 0.4%" in text and "502 rate 4%" not in text


def test_markdown_structure_survives_hostile_text(story: IncidentView) -> None:
    text = to_markdown(story, BERLIN)
    lines = text.splitlines()
    assert [line for line in lines if line.startswith("#")] == [
        lines[0],
        "## Impact summary",
        "## Milestones",
        "## Roles",
        "## Timeline",
    ]
    header = lines.index("| Local | UTC | Who | What | Entry |")
    rows = lines[header + 2 :]
    assert len(rows) == len(story.entries)
    assert all(_unescaped_pipes(row) == 6 for row in rows), [r for r in rows if _unescaped_pipes(r) != 6]
    assert "<script" not in text and "<b>" not in text and "<http" not in text
    assert "&lt;script&gt;" in text
    assert all(tag == "<br>" for tag in re.findall(r"<[^>]*>", text))  # the only markup we emit ourselves


def test_markdown_renders_back_to_exactly_the_typed_text(story: IncidentView) -> None:
    """Render with a CommonMark + tables parser: every note shows as its characters, nothing more."""
    markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py comes with import-linter (rich)")
    parser = markdown_it.MarkdownIt("commonmark", {"html": True}).enable("table")
    tokens = parser.parse(to_markdown(story, BERLIN))
    assert [t.tag for t in tokens if t.type == "heading_open"] == ["h1", "h2", "h2", "h2", "h2"]
    assert not [
        t
        for t in tokens
        if t.type
        in ("html_block", "code_block", "fence", "bullet_list_open", "ordered_list_open", "blockquote_open", "hr")
    ]
    tables = [i for i, t in enumerate(tokens) if t.type == "table_open"]
    assert len(tables) == 4  # facts, milestones, roles, timeline
    rendered = parser.render(to_markdown(story, BERLIN))
    assert "<script" not in rendered and "<a href" not in rendered and "<img" not in rendered
    assert "<h1>" in rendered and rendered.count("<h1>") == 1
    cells = [
        html.unescape(re.sub(r"<br\s*/?>\n?", "\n", cell))
        for cell in re.findall(r"<td>(.*?)</td>", rendered, flags=re.S)
    ]
    for note in _note_texts(story):
        # Leading spaces come back as no-break spaces (so an indent cannot start a code block).
        assert any(cell.replace("\xa0", " ").startswith(note) for cell in cells), note


def test_markdown_text_escapes_structure_at_line_starts() -> None:
    assert markdown_text("- a\n+ b\n12. c\n3) d\n=== e") == "\\- a<br>\\+ b<br>12\\. c<br>3\\) d<br>\\=== e"
    assert markdown_text("a | b") == "a \\| b"
    assert markdown_text("  x") == "&nbsp;&nbsp;x"
    assert markdown_text("<x> & y") == "&lt;x&gt; &amp; y"


def test_markdown_hides_a_deleted_note_but_json_and_csv_keep_it(story: IncidentView) -> None:
    assert "hunter2" not in to_markdown(story, BERLIN)
    assert "_Note deleted by Alex._" in to_markdown(story, BERLIN)
    assert "hunter2" in to_json(story)
    assert "支付失败 é" in to_markdown(story, BERLIN) and "支付失败 é" in to_json(story)
    deleted = [row for row in csv.DictReader(io.StringIO(to_csv(story, BERLIN))) if row["deleted_by"]]
    assert [row["text"] for row in deleted] == ["password=hunter2 (oops)"]


# -- JSON --------------------------------------------------------------------------------------------


def test_json_round_trips_with_every_raw_event(story: IncidentView) -> None:
    document = json.loads(to_json(story))
    state = story.state
    assert document["format"] == "commander.incident" and document["version"] == 1
    assert document["incident"]["reference"] == state.reference
    assert document["incident"]["title"] == "Checkout <b>502s</b> | # not a heading"
    assert document["incident"]["milestones"]["detected"] == "2026-11-28T09:20:00Z"
    assert [e["id"] for e in document["events"]] == [e.id for e in story.events]
    for raw, event in zip(document["events"], story.events, strict=True):
        assert raw["payload"] == dict(event.payload)
        assert raw["actor"] == {"id": event.actor.id, "name": event.actor.name}
        assert (raw["kind"], raw["hlc"], raw["origin"], raw["stream"]) == (
            event.kind,
            event.hlc,
            event.origin,
            event.stream,
        )
        occurred = event.occurred_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        assert raw["occurred_at"] == occurred
    timeline_texts = [e["text"] for e in document["timeline"]]
    assert [text for text in STORED if text not in timeline_texts] == []
    ic = next(r for r in document["roles"] if r["key"] == "incident_commander")
    assert ic["holder"] == "Sam" and [t["person"] for t in ic["history"]] == ["Alex", "Sam"]
    assert ic["history"][0]["until"] == ic["history"][1]["since"]


# -- CSV ---------------------------------------------------------------------------------------------


def test_csv_round_trips_through_the_csv_module(story: IncidentView) -> None:
    rows = list(csv.reader(io.StringIO(to_csv(story, BERLIN), newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    body = [dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]]
    assert [row["event_id"] for row in body] == [e.event_id for e in story.entries]
    texts = [row["text"] for row in body]
    for note in STORED:
        assert note in texts  # quotes, commas, newlines, RTL and emoji all come back intact
    pinned = [row["text"] for row in body if row["pinned"] == "true"]
    assert pinned == ["Rolled back v2.31 — 502 rate falling"]
    first = body[0]  # the detected milestone sits at the time it names, before the declaration
    assert first["kind"] == "milestone.set"
    assert first["time_utc"] == "2026-11-28T09:20:00Z" and first["time_local"] == "2026-11-28 10:20:00 CET"
    assert {row["reference"] for row in body} == {story.state.reference}


def test_csv_neutralises_formula_looking_cells(alex: Replica, policy: Policy) -> None:
    alex.declare()
    for text in ('=HYPERLINK("http://evil.example")', "+1", "-rolled back", "@SUM(A1)", "plain = fine"):
        alex.act(lambda s, text=text: decisions.add_note(s, text, now=alex.now()))
    body = list(csv.DictReader(io.StringIO(to_csv(_view(alex, policy), BERLIN))))
    texts = [row["text"] for row in body if row["kind"] == "note.added"]
    assert texts == ['\'=HYPERLINK("http://evil.example")', "'+1", "'-rolled back", "'@SUM(A1)", "plain = fine"]


def test_exports_of_a_summer_incident_use_summer_time(policy: Policy) -> None:
    from datetime import UTC, datetime

    replica = Replica(2, policy, start=datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    replica.declare()
    view = _view(replica, policy)
    assert "2026-07-01 14:00:00 CEST" in to_markdown(view, BERLIN)
    assert "2026-07-01 14:00:00 CEST" in to_csv(view, BERLIN)
