"""The timeline model: a correct Qt model, kept current row by row, filtered, loaded in chunks."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QModelIndex, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from commander.app import timeline
from commander.app.console import Console
from commander.domain.core.events import Actor, Event, incident_stream
from commander.domain.timeline.entries import IncidentView
from commander.ui.timeline.model import ALL_CATEGORIES, TimelineFilter, TimelineModel


def model_for(console: Console, incident: str, **kwargs: object) -> TimelineModel:
    model = TimelineModel(console.zone, **kwargs)  # type: ignore[arg-type]
    model.set_view(console.view(incident))
    console.subscribe(model.apply)
    return model


def texts(model: TimelineModel) -> list[str]:
    return [model.index(row, TimelineModel.WHAT).data() for row in range(model.rowCount())]


def test_model_passes_the_model_tester_unfiltered_and_filtered(
    qtmodeltester: ModelTester, console: Console, incident: str
) -> None:
    timeline.add_note(console, incident, "pinned one", pinned=True)
    model = model_for(console, incident)
    qtmodeltester.check(model)
    model.set_filter(TimelineFilter(categories=frozenset({"note"}), pinned_only=True))
    qtmodeltester.check(model)
    assert texts(model) == ["pinned one"]
    timeline.add_note(console, incident, "another pinned", pinned=True)  # incremental insert under a filter
    qtmodeltester.check(model)
    assert texts(model) == ["pinned one", "another pinned"]


def test_a_new_note_inserts_one_row_without_a_reset(qtbot: QtBot, console: Console, incident: str) -> None:
    model = model_for(console, incident)
    before = model.rowCount()
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    with qtbot.waitSignal(model.rowsInserted) as inserted:
        timeline.add_note(console, incident, "Rolled back v2.31")
    assert inserted.args[1:] == [before, before]  # appended at the end, one row
    assert model.rowCount() == before + 1
    assert texts(model)[-1] == "Rolled back v2.31"
    assert resets == []


def test_a_backdated_note_goes_to_its_place_in_time(console: Console, incident: str) -> None:
    model = model_for(console, incident)
    detected = console.state(incident).milestones["detected"]
    timeline.add_note(console, incident, "alert fired", at=detected + timedelta(seconds=10))
    timeline.add_note(console, incident, "first symptom", at=detected + timedelta(seconds=30))
    rows = texts(model)
    position = rows.index("first symptom")
    assert rows.index("alert fired") == position - 1
    assert position < len(rows) - 1  # everything recorded at declaration time comes after it
    entry = model.entry_at(position)
    assert entry is not None and entry.backdated
    assert "Backdated" in model.index(position, TimelineModel.TIME).data(Qt.ItemDataRole.ToolTipRole)


def test_edits_deletes_and_pins_change_the_row_in_place(qtbot: QtBot, console: Console, incident: str) -> None:
    note = timeline.add_note(console, incident, "typo heer")[0]
    model = model_for(console, incident)
    row = model.row_of(note.id)
    assert row is not None
    count = model.rowCount()
    for change in (
        lambda: timeline.edit_note(console, incident, note.id, "typo here"),
        lambda: timeline.pin(console, incident, note.id, True),
        lambda: timeline.delete_note(console, incident, note.id),
    ):
        with qtbot.waitSignal(model.dataChanged) as changed:
            change()
        assert changed.args[0].row() == row
    assert model.rowCount() == count
    entry = model.entry_at(row)
    assert entry is not None and entry.text == "typo here" and entry.pinned and entry.deleted_by == "Alex"
    tooltip = model.index(row, TimelineModel.WHAT).data(Qt.ItemDataRole.ToolTipRole)
    assert "Deleted by Alex" in tooltip and "edited (was: typo heer)" in tooltip


def test_unpinning_under_the_pinned_filter_removes_the_row(qtbot: QtBot, console: Console, incident: str) -> None:
    note = timeline.add_note(console, incident, "key finding", pinned=True)[0]
    model = model_for(console, incident)
    model.set_filter(TimelineFilter(pinned_only=True))
    assert texts(model) == ["key finding"]
    with qtbot.waitSignal(model.rowsRemoved):
        timeline.pin(console, incident, note.id, False)
    assert model.rowCount() == 0
    with qtbot.waitSignal(model.rowsInserted):
        timeline.pin(console, incident, note.id, True)
    assert texts(model) == ["key finding"]


def test_filters_by_category_person_and_search(console: Console, incident: str) -> None:
    timeline.add_note(console, incident, "Database failover started")
    model = model_for(console, incident)
    model.set_filter(TimelineFilter(categories=frozenset({"role"})))
    assert texts(model) and all("Commander" in t or "Lead" in t for t in texts(model))
    model.set_filter(TimelineFilter(search="FAILOVER"))
    assert texts(model) == ["Database failover started"]
    model.set_filter(TimelineFilter(person="Nobody"))
    assert model.rowCount() == 0
    model.set_filter(TimelineFilter(person="Alex", categories=ALL_CATEGORIES))
    assert model.rowCount() == len(console.view(incident).entries)


def test_html_looking_text_is_returned_as_typed(console: Console, incident: str) -> None:
    raw = "<b>not bold</b> & <script>alert(1)</script>"
    timeline.add_note(console, incident, raw)
    model = model_for(console, incident)
    row = model.rowCount() - 1
    assert model.index(row, TimelineModel.WHAT).data() == raw
    assert model.index(row, TimelineModel.WHAT).data(TimelineModel.RawTextRole) == raw


def test_a_long_timeline_is_exposed_newest_chunk_first(
    qtmodeltester: ModelTester, console: Console, incident: str
) -> None:
    for number in range(12):
        timeline.add_note(console, incident, f"note {number}")
    model = model_for(console, incident, chunk=5)
    total = len(console.view(incident).entries)
    assert model.rowCount() == 5
    assert texts(model)[-1] == "note 11"
    assert model.hidden == total - 5
    assert not model.canFetchMore(QModelIndex())  # not until the reader asks for older entries
    assert model.request_older()
    assert model.rowCount() == 10 and texts(model)[-1] == "note 11"
    while model.request_older():
        pass
    assert model.rowCount() == total and model.hidden == 0
    qtmodeltester.check(model)
    timeline.add_note(console, incident, "after loading everything")
    assert texts(model)[-1] == "after loading everything"


def test_an_entry_older_than_the_loaded_chunk_waits_unloaded(console: Console, incident: str) -> None:
    for number in range(8):
        timeline.add_note(console, incident, f"note {number}")
    model = model_for(console, incident, chunk=3)
    detected = console.state(incident).milestones["detected"]
    timeline.add_note(console, incident, "early", at=detected + timedelta(seconds=1))
    assert "early" not in texts(model) and model.rowCount() == 3
    while model.request_older():
        pass
    assert "early" in texts(model)


def test_a_rebuilt_view_resets_the_model(qtbot: QtBot, console: Console, incident: str) -> None:
    model = model_for(console, incident)
    view = console.view(incident)
    late = view.events[-1]
    # An event that sorts before the last one applied forces the view to refold (a new generation).
    early = Event(
        id="00000000-0000-7000-8000-000000000001",
        stream=incident_stream(incident),
        kind="note.added",
        payload={"text": "arrived late from another console", "pinned": False},
        actor=Actor("x", "Kim"),
        hlc=late.hlc - 1,
        occurred_at=late.occurred_at,
        recorded_at=late.recorded_at,
        origin="other",
    )
    with qtbot.waitSignal(model.modelReset):
        console.ingest([early])
    assert "arrived late from another console" in texts(model)


def test_adding_a_note_to_a_huge_timeline_stays_within_a_frame() -> None:
    """50,000 entries: one more is one row insert, well under a 16 ms frame (measured, not assumed)."""
    from commander.app.setup.resources import load_policy

    policy = load_policy()
    incident = "0190b6c4-0000-7000-8000-000000000000"
    stream = incident_stream(incident)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    actor = Actor("a", "Alex")

    def event(number: int, kind: str, payload: dict[str, object]) -> Event:
        at = start + timedelta(seconds=number)
        return Event(
            id=f"event-{number}",
            stream=stream,
            kind=kind,
            payload=payload,
            actor=actor,
            hlc=number + 1,
            occurred_at=at,
            recorded_at=at,
            origin="o",
        )

    declared = {"title": "Huge", "severity": "SEV2", "services": [], "summary": "", "drill": False}
    events = [event(0, "incident.declared", declared)]
    events += [event(n, "note.added", {"text": f"note {n}", "pinned": False}) for n in range(1, 50_000)]
    view = IncidentView(incident, policy)
    view.load(events)
    model = TimelineModel(UTC)
    model.set_view(view)
    fresh = event(50_000, "note.added", {"text": "one more", "pinned": False})
    view.apply([fresh])
    began = time.perf_counter()
    model.apply([fresh])
    elapsed = time.perf_counter() - began
    assert model.rowCount() == 2000 + 1
    assert model.index(model.rowCount() - 1, TimelineModel.WHAT).data() == "one more"
    assert elapsed < 0.016, f"inserting one row took {elapsed * 1000:.1f} ms"


def test_a_note_written_by_another_login_shows_that_login_beside_the_author(console: Console, incident: str) -> None:
    now = console.now()
    forged = Event(
        "0193a7c0-0000-7000-8000-000000000001",
        incident_stream(incident),
        "note.added",
        {"text": "roll back now", "pinned": False},
        Actor(console.me.id, console.me.name),
        console.clock.now(),
        now,
        now,
        "elsewhere",
        "mallory",
    )
    console.ingest([forged])
    model = model_for(console, incident)
    (row,) = [r for r in range(model.rowCount()) if model.index(r, TimelineModel.WHAT).data() == "roll back now"]
    assert model.index(row, TimelineModel.WHO).data() == f"{console.me.name} (login mallory)"
    assert "login mallory wrote this" in model.index(row, TimelineModel.WHO).data(Qt.ItemDataRole.ToolTipRole)
