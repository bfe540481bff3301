"""The event-kind registry: every kind declares its schema, its fold and its timeline line once, in its
feature, and every kind the code writes or reads is one of them."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

import commander
from commander.domain.core import kinds
from commander.domain.core.events import SCHEMAS
from commander.domain.core.kinds import NOT_FOLDED, NOT_SHOWN, Amends, EventKind, Shown, register
from commander.domain.core.schema import a_line, declared, record
from commander.domain.timeline.entries import CATEGORY_LABELS

PACKAGE = Path(commander.__file__).parent
_KIND_NAME = re.compile(r"^[a-z_]+\.[a-z_]+$")


def test_every_kind_declares_its_schema_its_fold_and_its_timeline_line() -> None:
    assert len(kinds.KINDS) > 60
    for name, kind in kinds.KINDS.items():
        assert kind.name == name and _KIND_NAME.match(name), name
        assert declared(kind.schema), f"{name}: its schema is not built from commander/domain/core/schema.py"
        assert kind.fold is NOT_FOLDED or callable(kind.fold), f"{name}: no fold, and not marked NOT_FOLDED"
        line = kind.timeline
        assert line is NOT_SHOWN or isinstance(line, Shown | Amends), f"{name}: no timeline line, nor NOT_SHOWN"
        if isinstance(line, Shown):
            assert callable(line.describe) and line.category in CATEGORY_LABELS, name
        if isinstance(line, Amends):
            assert callable(line.amend) and line.target in declared(kind.schema)[1], name


def test_the_tables_other_modules_read_are_derived_from_the_registry() -> None:
    assert set(SCHEMAS) == set(kinds.KINDS)
    assert all(SCHEMAS[name] is kind.schema for name, kind in kinds.KINDS.items())
    assert {name for name, kind in kinds.KINDS.items() if kind.fold is not NOT_FOLDED} == set(kinds.FOLDS)
    assert {name for name, kind in kinds.KINDS.items() if isinstance(kind.timeline, Shown)} == set(kinds.SHOWN)
    assert {name for name, kind in kinds.KINDS.items() if isinstance(kind.timeline, Amends)} == set(kinds.AMENDS)
    assert set(kinds.CATEGORIES.values()) == set(CATEGORY_LABELS), "a filter no kind uses, or a kind with no filter"


def test_a_kind_declared_twice_is_refused() -> None:
    before = dict(kinds.KINDS)
    again = EventKind("note.added", record({"text": a_line}), NOT_FOLDED, NOT_SHOWN)
    with pytest.raises(ValueError, match="note.added is declared twice"):
        register(again)
    assert dict(kinds.KINDS) == before and SCHEMAS["note.added"] is before["note.added"].schema


def test_importing_any_part_of_the_domain_fills_the_registry() -> None:
    """The trust checks validate with SCHEMAS: a program that imports only the events module must not see
    every kind as unknown (and so accept any payload)."""
    program = "from commander.domain.core.events import SCHEMAS; print(len(SCHEMAS))"
    found = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert int(found.stdout) == len(kinds.KINDS)


def _constants(tree: ast.Module) -> dict[str, str]:
    """Module-level names bound to a string (`SAVED = "runbook.saved"`, `A, B = "a.b", "c.d"`)."""
    found: dict[str, str] = {}
    for node in tree.body:
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            pairs: list[tuple[ast.expr, ast.expr]] = [(target, node.value)]
            if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                pairs = list(zip(target.elts, node.value.elts, strict=False))
            for name, value in pairs:
                if isinstance(name, ast.Name) and isinstance(value, ast.Constant) and isinstance(value.value, str):
                    found[name.id] = value.value
    return found


def _family_nouns() -> set[str]:
    """The nouns of the connection families (`Family("tracker", ...)`), whose kinds are `{noun}.added`…"""
    nouns = set()
    for module in (PACKAGE / "domain").rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Family":
                first = node.args[0]
                assert isinstance(first, ast.Constant) and isinstance(first.value, str), f"{module}: a Family's noun"
                nouns.add(first.value)
    return nouns


def test_every_kind_a_decision_appends_is_registered() -> None:
    """Every `EventDraft(stream, kind, …)` anywhere in commander/ names a registered kind, so no event is
    written that the registry cannot validate, fold and show."""
    nouns = _family_nouns()
    assert nouns >= {"destination", "tracker"}
    written: dict[str, str] = {}
    for module in PACKAGE.rglob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        constants = _constants(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "EventDraft"):
                continue
            where = f"{module.relative_to(PACKAGE.parent)}:{node.lineno}"
            given = node.args[1] if len(node.args) > 1 else next(k.value for k in node.keywords if k.arg == "kind")
            if isinstance(given, ast.Constant) and isinstance(given.value, str):
                written[given.value] = where
            elif isinstance(given, ast.Name) and given.id in constants:
                written[constants[given.id]] = where
            elif isinstance(given, ast.JoinedStr) and ast.unparse(given) in (
                "f'{self.noun}.added'",
                "f'{self.noun}.removed'",
            ):
                verb = ast.unparse(given).split(".")[-1].rstrip("'")
                written.update((f"{noun}.{verb}", where) for noun in nouns)
            else:
                pytest.fail(f"{where}: an event kind this test cannot read ({ast.unparse(given)}); name it plainly")
    assert len(written) > 60
    assert {kind: where for kind, where in written.items() if kind not in kinds.KINDS} == {}


def test_every_kind_a_fold_or_a_reader_names_is_registered() -> None:
    """A kind some fold or report reads but no feature declares would be read unchecked."""
    from commander.domain.actions import items as actions
    from commander.domain.analytics import facts as analytics_facts
    from commander.domain.analytics import figures as analytics
    from commander.domain.checklists import checklists
    from commander.domain.paging import pages as paging
    from commander.domain.postmortem import record as postmortem
    from commander.domain.runbooks import library as runbooks

    named = {
        *checklists.KINDS,
        *paging.KINDS,
        *actions.KINDS,
        *postmortem.KINDS,
        *runbooks.EVENT_KINDS,
        *analytics.ACTION_KINDS,
        *analytics.NOISE_KINDS,
        *analytics_facts.LIFECYCLE_KINDS,
    }
    # Folds that name their kinds inline: every `kind == "x.y"` in the domain's modules.
    pattern = re.compile(r"""kind\s*==\s*f?["']([a-z_{}.]+\.[a-z_]+)["']""")
    nouns = _family_nouns()
    for module in (PACKAGE / "domain").rglob("*.py"):
        for found in pattern.findall(module.read_text(encoding="utf-8")):
            named |= {found.replace("{self.noun}", noun).replace("{noun}", noun) for noun in nouns}
    assert len(named) > 40
    assert sorted(named - set(kinds.KINDS)) == []


def test_the_registry_imports_every_features_kinds_module() -> None:
    """A feature's kinds module that commander/domain/registry.py leaves out would register only when some
    other import happened to load it: its kinds would be unknown to a program that never did."""
    from commander.domain import registry

    declared_in = {path.parent.name for path in (PACKAGE / "domain").glob("*/kinds.py")} - {
        "core"
    }  # core: the registry
    assert declared_in == {module.__name__.split(".")[-2] for module in registry.FEATURES}
