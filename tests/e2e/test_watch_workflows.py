"""The issue's "done when": a firing critical alert sent to a real Alertmanager ends, with no window open, in
one declared incident with its runbook attached, by the rules imported as the issue writes them; the same
alert sent again (Alertmanager repeats a group) declares nothing more."""

from __future__ import annotations

from pathlib import Path

from commander.app import automation, workflows
from commander.app.console import Console
from commander.app.runbooks import library
from tests.domain.workflows.test_rules import EXAMPLE
from tests.e2e.test_watch_alertmanager import (  # noqa: F401 (fixtures)
    ARRIVES_WITHIN,
    alertmanager,
    reader,
    token_file,
    watcher,
)
from tests.helpers.alertmanager import RunningAlertmanager, alert, new_test_label
from tests.helpers.waiting import wait_until

RUNBOOK = """---
title: High error rate
alerts: [HighErrorRate]
---
# High error rate

1. Open the checkout dashboard
2. Roll back the last deploy if it started then
"""


def test_a_critical_alert_declares_one_incident_with_its_runbook(
    alertmanager: RunningAlertmanager,  # noqa: F811
    reader: Console,  # noqa: F811
    tmp_path: Path,
) -> None:
    runbook = tmp_path / "high-error-rate.md"
    runbook.write_text(RUNBOOK, encoding="utf-8")
    library.import_paths(reader, [runbook])
    workflows.import_yaml(reader, EXAMPLE)

    test = new_test_label()
    alertmanager.post(alert(test, "HighErrorRate", service="checkout", severity="critical", summary="5xx above 5%"))

    def declared() -> list[str]:
        reader.catch_up()
        return [s.id for s in reader.incidents() if "HighErrorRate" in s.title]

    [incident_id] = wait_until(declared, ARRIVES_WITHIN, 0.2, message="No incident was declared from the alert.")
    wait_until(
        lambda: reader.catch_up() is not None and reader.state(incident_id).checklists,
        ARRIVES_WITHIN,
        0.2,
        message="The runbook was never attached.",
    )
    state = reader.state(incident_id)
    assert (state.title, state.severity, list(state.services)) == ("HighErrorRate on checkout", "SEV2", ["checkout"])
    assert [checklist.title for checklist in state.checklists.values()] == ["High error rate"]
    assert [a.name for a in state.alerts.values()] == ["HighErrorRate"]
    runs = [(r.rule, r.action, r.outcome) for r in automation.runs(reader, incident_id)][:2]
    assert runs == [
        ("page-from-critical-alerts", "declare", "done"),
        ("page-from-critical-alerts", "attach-runbook", "done"),
    ]
    assert len(declared()) == 1
