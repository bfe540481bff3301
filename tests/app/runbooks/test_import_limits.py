"""A runbook too large for the runbook.saved schema (issue 11, item 2) is skipped with its reason, and the
rest of the folder is imported: one file never stops the others."""

from __future__ import annotations

from pathlib import Path

from commander.app.console import Console
from commander.app.runbooks import library as runbooks


def test_a_runbook_too_large_to_share_is_skipped_and_the_rest_imported(console: Console, tmp_path: Path) -> None:
    folder = tmp_path / "runbooks"  # apart from the store's own files, which the import would list as skipped
    folder.mkdir()
    (folder / "disk-full.md").write_text("# Disk full\n\n## Mitigation\n\n- Free space\n", encoding="utf-8")
    prose = "\n\n".join("A paragraph of background that goes on and on. " * 40 for _ in range(120))
    (folder / "essay.md").write_text(
        f"# The whole history\n\n## Background\n\n{prose}\n\n## Steps\n\n- Read it\n", encoding="utf-8"
    )
    report = runbooks.import_paths(console, [folder])
    assert [entry.title for entry in report.imported] == ["Disk full"]
    [(where, why)] = report.skipped
    assert where.endswith("essay.md")
    assert why.startswith("The runbook “The whole history” is too large to share: its content.sections[0].context is ")
    assert "Shorten it, or split it into several runbooks." in why
    assert [record.current.title for record in runbooks.library(console).values()] == ["Disk full"]
