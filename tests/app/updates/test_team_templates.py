"""Team templates through the console: shared by the store, sandboxed, and one broken template harms none."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from commander.app.console import Console
from commander.app.updates import templates as updates
from commander.domain.core.errors import DomainError
from commander.domain.core.events import EventDraft
from commander.domain.updates.team_templates import STREAM


def _raw(console: Console, key: str, body: str) -> None:
    """A template written without the checks, as an older or careless console might."""
    console.record(
        [
            EventDraft(
                STREAM,
                "template.saved",
                {"key": key, "name": key.title(), "stage": "", "audience": "customers", "body": body},
            )
        ]
    )


def test_two_consoles_sharing_a_file_see_each_others_templates(open_console: Callable[..., Console]) -> None:
    alex, kim = open_console(user="Alex"), open_console(user="Kim")
    updates.save_template(
        alex, "db_outage", name="Database outage", audience="responders", body="DB trouble on {{ incident.reference }}"
    )
    assert updates.template(kim, "db_outage").origin == "team"
    updates.save_template(kim, "initial", name="Initial (ours)", body="[{{ incident.severity }}] Looking into it.")
    assert updates.template(alex, "initial").origin == "edited"
    assert updates.remove_template(alex, "initial") is not None
    assert updates.template(kim, "initial").origin == "shipped"
    updates.remove_template(kim, "db_outage")
    assert "db_outage" not in updates.templates(alex)


def test_a_team_template_fills_in_from_the_incident(console: Console, incident_id: str) -> None:
    saved = updates.save_template(
        console, "db_outage", name="Database outage", body="{{ incident.title }} ({{ incident.severity }})"
    )
    assert saved.key == "db_outage" and saved.origin == "team"
    assert updates.preview(console, incident_id, "db_outage") == "Checkout API returning 502s (SEV2)\n"


@pytest.mark.parametrize("escape", ["{{ ''.__class__.__mro__ }}", "{{ cycler.__init__.__globals__.os }}"])
def test_the_sandbox_refuses_escapes_in_a_team_template(console: Console, incident_id: str, escape: str) -> None:
    updates.save_template(console, "sneaky", name="Sneaky", body=f"hello\n{escape}")  # it parses: saved
    with pytest.raises(DomainError, match="not allowed in a template") as refused:
        updates.preview(console, incident_id, "sneaky")
    assert "<class" not in str(refused.value)
    assert "sneaky" in updates.problems(console, incident_id)


def test_a_broken_template_does_not_stop_the_others(console: Console, incident_id: str) -> None:
    _raw(console, "unreadable", "{% if %}")
    _raw(console, "misspelt", "fine\n{{ incident.titel }}")
    found = updates.templates(console)
    assert {"unreadable", "misspelt", "initial", "resolution"} <= set(found)
    broken = updates.problems(console, incident_id)
    assert set(broken) == {"unreadable", "misspelt"}
    assert broken["misspelt"].line == 2 and "titel" in str(broken["misspelt"])
    assert updates.preview(console, incident_id, "initial").startswith("[SEV2] Investigating")
    with pytest.raises(DomainError, match="Line 2: there is no variable 'titel'"):
        updates.preview(console, incident_id, "misspelt")


def test_a_template_that_does_not_parse_is_not_saved(console: Console) -> None:
    with pytest.raises(DomainError, match="Line 2"):
        updates.save_template(console, "db", name="DB", body="ok\n{{ incident.title }")
    assert console.reads.stream(STREAM) == []


def test_the_sample_incident_fills_every_template_when_none_is_open(console: Console) -> None:
    state = updates.sample_incident(console.policy, console.now(), "Alex")
    assert state.declared and state.is_open and len(state.notes) == 3
    assert state.roles["technical_lead"].holder == "Sam Okafor"
    assert updates.problems(console, None) == {}
    text = updates.preview(console, None, "periodic")
    assert "Card payments failing" in text and "Certificate renewed" in text
    assert console.incidents() == []  # nothing of the sample is written
