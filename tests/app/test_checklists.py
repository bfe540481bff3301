"""Checklists through the console: two consoles on one SQLite file see each other's ticks; nothing needs a
network or a shared store."""

from __future__ import annotations

from collections.abc import Callable

from commander.app import checklists
from commander.app.console import Console
from tests.app.conftest import Heard
from tests.helpers.checklist_samples import NODE_NOT_READY


def test_two_consoles_on_one_file_see_each_others_ticks(
    console: Console, incident_id: str, open_console: Callable[..., Console]
) -> None:
    sam = open_console(user="Sam")
    sam.view(incident_id)  # open in both windows
    [attached] = checklists.attach_checklist(console, incident_id, NODE_NOT_READY)
    checklist = attached.id
    assert [e.id for e in sam.catch_up()] == [checklist]
    heard = Heard()
    console.subscribe(heard)

    checklists.check_step(sam, incident_id, checklist, "s1.1")
    checklists.check_step(console, incident_id, checklist, "s1.2")  # picks up Sam's tick in the same write
    assert [e.payload["step"] for e in heard.events] == ["s1.1", "s1.2"]
    sam.catch_up()
    for reader in (console, sam):
        steps = reader.state(incident_id).checklists[checklist].steps
        assert [(steps[s].state, steps[s].by) for s in ("s1.1", "s1.2")] == [("done", "Sam"), ("done", "Alex")]

    # Both tick the same step apart from each other: the later write wins on both consoles.
    checklists.skip_step(sam, incident_id, checklist, "s2.1", "node already gone")
    checklists.check_step(console, incident_id, checklist, "s2.1")
    sam.catch_up()
    mine = console.state(incident_id).checklists[checklist]
    theirs = sam.state(incident_id).checklists[checklist]
    assert (mine.steps["s2.1"].state, mine.steps["s2.1"].by) == ("done", "Alex")
    assert [(s.id, s.state, s.by) for s in mine.steps.values()] == [
        (s.id, s.state, s.by) for s in theirs.steps.values()
    ]
    assert mine.progress == theirs.progress == (3, 5)
    texts = [e.text for e in sam.view(incident_id).entries if e.category == "checklist"]
    assert texts[-2:] == [
        "Skipped: Drain the node (Mitigation) — K8s node not ready, because node already gone",
        "Checked: Drain the node (Mitigation) — K8s node not ready",
    ]


def test_a_fresh_console_reads_the_checklists_back_from_the_log(
    console: Console, incident_id: str, open_console: Callable[..., Console]
) -> None:
    [attached] = checklists.attach_checklist(console, incident_id, NODE_NOT_READY)
    checklists.add_finding(console, incident_id, attached.id, "s1.1", "disk pressure on node-7")
    checklists.assign_step(console, incident_id, attached.id, "s3.1", "CL")
    [suggestion] = checklists.suggest_runbook_change(console, incident_id, attached.id, "s2.1", "Cordon first")
    fresh = open_console()
    checklist = fresh.state(incident_id).checklists[attached.id]
    assert [f.text for f in checklist.steps["s1.1"].findings] == ["disk pressure on node-7"]
    assert checklist.steps["s3.1"].assigned == "CL"
    assert [e.id for e in fresh.reads.stream("runbook:rb-node")] == [suggestion.id]
    assert fresh.incidents()[0].event_count == console.state(incident_id).event_count
