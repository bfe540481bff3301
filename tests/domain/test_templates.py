"""Update templates: a sandbox for untrusted text, strict variables, errors with their line."""

from __future__ import annotations

import pytest

from commander.app.updates import shipped_templates
from commander.domain import decisions
from commander.domain.templates import TemplateProblem, context, render
from commander.domain.when import iso
from tests.domain.replica import Replica, default_policy

POLICY = default_policy()


def _variables(**form: object) -> dict[str, object]:
    r = Replica(0, POLICY)
    r.declare(severity="SEV1", **form)
    return context(r.state(), POLICY, now=r.now(), author="Kim", time_format=iso)


@pytest.mark.parametrize("escape", [
    "{{ ''.__class__.__mro__ }}",
    "{{ incident.__class__.__init__.__globals__ }}",
    "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{{ c }}{% endfor %}",
    "{{ cycler.__init__.__globals__.os }}",
])
def test_escapes_from_the_sandbox_fail(escape: str) -> None:
    with pytest.raises(TemplateProblem):
        render(escape, _variables())


def test_a_misspelt_variable_is_an_error_with_its_line() -> None:
    with pytest.raises(TemplateProblem, match="Line 3: .*titel"):
        render("line one\nline two\n{{ incident.titel }}", _variables())


def test_a_syntax_error_names_its_line() -> None:
    with pytest.raises(TemplateProblem, match="Line 2"):
        render("fine\n{% if %}\n", _variables())


def test_a_runaway_template_is_stopped() -> None:
    with pytest.raises(TemplateProblem, match="characters long"):
        render("{% for i in range(100000) %}spam {% endfor %}", _variables())


def test_text_is_kept_as_typed() -> None:
    variables = _variables(title="<script>alert(1)</script> & {{ not a template }}")
    assert render("{{ incident.title }}", variables) == "<script>alert(1)</script> & {{ not a template }}\n"


@pytest.mark.parametrize("form", [{}, {"services": ("checkout", "payments"), "summary": "EU checkout fails"}])
def test_every_shipped_template_renders(form: dict[str, object]) -> None:
    variables = _variables(**form)
    for key, template in shipped_templates().items():
        text = render(template.source, variables)
        assert "Checkout API returning 502s" in text or "INC-" in text, key
        assert "None" not in text, key


def test_the_context_reflects_the_incident() -> None:
    r = Replica(0, POLICY)
    r.declare(severity="SEV2", services=("checkout",))
    r.act(lambda s: decisions.add_note(s, "Rolled back v2.31", now=r.now(), pinned=True))
    r.act(lambda s: decisions.assign_role(s, "tl", "Sam", policy=POLICY))
    incident = context(r.state(), POLICY, now=r.now(), author="Kim", time_format=iso)["incident"]
    assert incident["latest_pinned"] == ["Rolled back v2.31"]  # type: ignore[index]
    assert incident["roles"]["Technical Lead"] == "Sam"  # type: ignore[index]
    assert incident["severity_description"].startswith("Major functionality")  # type: ignore[index]


def test_next_update_means_a_cadence_after_this_one() -> None:
    r = Replica(0, default_policy())
    r.declare(severity="SEV1")
    from datetime import timedelta

    r.tick(timedelta(minutes=40))  # long overdue: the promise is still "a cadence from now", not the past
    variables = context(r.state(), POLICY, now=r.now(), author="Kim", time_format=iso)
    assert variables["next_update"] == iso(r.now() + timedelta(minutes=15))
