"""Rules files: Import YAML… reads a file of rules (as `commander workflow import FILE` does, all or nothing),
Export YAML… writes every rule in use to one file that imports as it is, and one rule as YAML for the
editor's YAML tab.

A rules file is a few kilobytes at most (rules.FILE_MAX), so it is read and written on the UI thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog, QWidget

from commander.app import workflows
from commander.app.console import Console
from commander.domain.core.errors import DomainError
from commander.domain.workflows.rules import FILE_MAX, load_yaml, rule_to_dict
from commander.ui.kit.problems import problem_message

FILTER = "Workflow rules (*.yaml *.yml);;All files (*)"


def as_yaml(data: Any) -> str:
    """Plain data as YAML the way people write rules: each action on one line where it fits."""
    import yaml  # loaded when a rule is first shown as YAML, not at start-up

    text: str = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None, width=1_000)
    return text


def rule_from_yaml(text: str) -> Any:
    """One rule's plain data from the YAML tab: a mapping (name, when, do), or a list holding one."""
    data = load_yaml(text, source="The YAML")
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if not isinstance(data, dict):
        raise DomainError("The YAML should be one rule: a mapping with name, when and do. Fix it and try again.")
    return data


def choose_import(parent: QWidget) -> Path | None:
    found, _ = QFileDialog.getOpenFileName(parent, "Import workflow rules", "", FILTER)
    return Path(found) if found else None


def choose_export(parent: QWidget) -> Path | None:
    found, _ = QFileDialog.getSaveFileName(parent, "Export workflow rules", "workflows.yaml", FILTER)
    if not found:
        return None
    path = Path(found)
    return path if path.suffix else path.with_suffix(".yaml")


def import_file(console: Console, path: Path) -> str:
    """Import the rules in `path`; returns what happened in a sentence. Raises DomainError with what to do."""
    text = _read(path)
    saved = workflows.import_yaml(console, text, source=path.name)
    if not saved:
        return f"Every rule in {path.name} is already in use as it is: nothing changed."
    return f"Imported from {path.name}: {', '.join(saved)}."


def export_file(console: Console, path: Path) -> str:
    rules = [rule_to_dict(saved.rule) for saved in workflows.rules(console)]
    if not rules:
        raise DomainError("There are no rules to export yet.")
    try:
        path.write_text(as_yaml(rules), encoding="utf-8")
    except OSError as error:
        raise DomainError(problem_message(error) or f"Could not write {path}: {error}.") from None
    return f"Exported {len(rules)} rule{'s' if len(rules) != 1 else ''} to {path}."


def _read(path: Path) -> str:
    try:
        if path.stat().st_size > FILE_MAX * 4:  # UTF-8 takes at most four bytes a character
            raise DomainError(f"{path.name} is too large to be a rules file (the limit is {FILE_MAX:,} characters).")
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DomainError(f"{path.name} is not UTF-8 text. Save it as UTF-8 and import it again.") from None
    except OSError as error:
        raise DomainError(problem_message(error) or f"Could not read {path}: {error}.") from None
