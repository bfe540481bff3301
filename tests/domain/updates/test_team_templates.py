"""The team's templates: a fold of `settings:templates`, saves checked, shipped ones overridden and restored."""

from __future__ import annotations

from datetime import timedelta

import pytest

from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event
from commander.domain.core.policy import Policy
from commander.domain.core.when import iso
from commander.domain.updates.team_templates import (
    STREAM,
    fold_templates,
    key_for,
    merge,
    remove_template,
    save_template,
    variable_reference,
)
from commander.domain.updates.templates import Template, context
from tests.helpers.replica import Replica

SHIPPED = {
    "initial": Template("initial", "Initial", "within 5 minutes", "customers", "[{{ incident.severity }}]\n"),
    "periodic": Template("periodic", "Periodic", "every cadence", "customers", "{{ incident.status }}\n"),
}


def _save(
    replica: Replica, existing: dict[str, Template], key: str, body: str = "Hello {{ author }}", name: str | None = None
) -> list[Event]:
    return [replica.stamp(draft) for draft in save_template(existing, key, name=name or key.title(), body=body)]


def test_the_last_save_wins_by_log_order_not_by_arrival(alex: Replica, policy: Policy) -> None:
    kim = Replica(2, policy, name="Kim")
    first = _save(alex, SHIPPED, "db_outage", "first")
    kim.receive(first)
    kim.tick(timedelta(seconds=1))
    second = _save(kim, SHIPPED, "db_outage", "second")
    events = first + second
    assert fold_templates(events)["db_outage"].source == "second"
    assert fold_templates(list(reversed(events)))["db_outage"].source == "second"
    assert all(event.stream == STREAM for event in events)


def test_a_removal_drops_it_and_a_later_save_brings_it_back(alex: Replica) -> None:
    saved = _save(alex, SHIPPED, "db_outage")
    team = fold_templates(saved)
    removed = [alex.stamp(d) for d in remove_template(merge(SHIPPED, team), "db_outage")]
    assert fold_templates(saved + removed) == {}
    again = _save(alex, {}, "db_outage", "back")
    assert fold_templates(saved + removed + again)["db_outage"].source == "back"


def test_a_team_template_with_a_shipped_key_is_edited_and_removing_it_restores_the_shipped_one(alex: Replica) -> None:
    saved = _save(alex, SHIPPED, "initial", "Ours: {{ incident.title }}", name="Initial (ours)")
    merged = merge(SHIPPED, fold_templates(saved))
    assert list(merged) == ["initial", "periodic"]  # the shipped order is kept
    assert (merged["initial"].origin, merged["initial"].name) == ("edited", "Initial (ours)")
    assert merged["periodic"].origin == "shipped"
    removed = [alex.stamp(d) for d in remove_template(merged, "initial")]
    assert merge(SHIPPED, fold_templates(saved + removed))["initial"] == SHIPPED["initial"]


def test_team_templates_follow_the_shipped_ones_by_name(alex: Replica) -> None:
    events = _save(alex, SHIPPED, "zebra", name="Zebra") + _save(alex, SHIPPED, "apple", name="apple")
    merged = merge(SHIPPED, fold_templates(events))
    assert list(merged) == ["initial", "periodic", "apple", "zebra"]
    assert {merged["apple"].origin, merged["zebra"].origin} == {"team"}


@pytest.mark.parametrize(
    ("key", "fields", "message"),
    [
        ("DB outage", {}, "cannot be a template key"),
        ("x" * 41, {}, "cannot be a template key"),
        ("_hidden", {}, "cannot be a template key"),
        ("db", {"name": "  "}, "name is empty"),
        ("db", {"body": " \n "}, "text is empty"),
        ("db", {"body": "fine\n{% if %}\n"}, "Line 2"),
        ("db", {"body": "{{ incident.title }"}, "Line 1"),
    ],
)
def test_a_save_is_checked(key: str, fields: dict[str, str], message: str) -> None:
    form = {"name": "DB outage", "body": "{{ incident.title }}", **fields}
    with pytest.raises(DomainError, match=message):
        save_template(SHIPPED, key, name=form["name"], body=form["body"])


def test_a_misspelt_variable_is_only_found_when_rendered() -> None:
    drafts = save_template(SHIPPED, "db", name="DB", body="{{ incident.titel }}")
    assert drafts[0].payload["body"] == "{{ incident.titel }}"


def test_the_key_is_cleaned_and_the_fields_too() -> None:
    [draft] = save_template(
        SHIPPED, " DB-Outage ", name=" DB \x07outage ", stage="", audience=" responders ", body="\r\n{{ author }}\r\n"
    )
    assert dict(draft.payload) == {
        "key": "db-outage",
        "name": "DB outage",
        "stage": "",
        "audience": "responders",
        "body": "{{ author }}",
    }


def test_saving_what_is_already_there_writes_nothing() -> None:
    shipped = SHIPPED["initial"]
    assert (
        save_template(
            SHIPPED, "initial", name=shipped.name, stage=shipped.stage, audience=shipped.audience, body=shipped.source
        )
        == []
    )


def test_a_new_template_cannot_take_a_key_in_use() -> None:
    with pytest.raises(DomainError, match="already a template 'initial'"):
        save_template(SHIPPED, "initial", name="Mine", body="x", new=True)


def test_only_team_templates_can_be_removed() -> None:
    with pytest.raises(DomainError, match="shipped template"):
        remove_template(SHIPPED, "initial")
    with pytest.raises(DomainError, match="No update template 'nope'"):
        remove_template(SHIPPED, "nope")


def test_a_key_is_made_from_the_name_and_is_free() -> None:
    assert key_for("DB outage (EU)", SHIPPED) == "db_outage_eu"
    assert key_for("Initial", SHIPPED) == "initial_2"
    assert key_for("!!!", {}) == "template"


def test_the_variable_reference_lists_every_variable_a_template_gets(declared: Replica, policy: Policy) -> None:
    variables = context(declared.state(), policy, now=declared.now(), author="Kim", time_format=iso)
    reference = dict(variable_reference(variables))
    incident = variables["incident"]
    assert {f"incident.{name}" for name in incident if not isinstance(incident[name], dict | list)} <= set(reference)
    assert {"next_update", "cadence", "author", "now"} <= set(reference)
    assert reference["incident.title"] == "Checkout API returning 502s"
    assert reference['incident.roles.get("Incident Commander")'] == "Alex"
    assert 'incident.services | join(", ")' in reference


@pytest.mark.parametrize(
    "body",
    [
        "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}",
        "".join(f"{{% for a{i} in [1] %}}" for i in range(25)) + "{% endfor %}" * 25,
    ],
)
def test_a_template_too_deeply_nested_is_refused_in_a_sentence_when_saved(body: str) -> None:
    """It raised RecursionError (or Python's SyntaxError) from the parser: a traceback instead of a refusal."""
    with pytest.raises(DomainError, match="cannot be saved: Line 1: the template is nested too deeply"):
        save_template(SHIPPED, "deep", name="Deep", body=body)
