"""`commander update`: templates, preview, record, due."""

from __future__ import annotations

from collections.abc import Callable

from tests.cli.conftest import Run


def test_preview_record_and_due(run: Run, declare: Callable[..., str]) -> None:
    ref = declare("Checkout API returning 502s", "--service", "checkout", "--summary", "EU checkout fails")
    assert "initial" in run("update", "templates").out
    preview = run("update", "preview", ref, "--template", "initial")
    assert preview.code == 0 and preview.out.startswith("[SEV2] Investigating: Checkout API returning 502s\n")
    assert "Impact: EU checkout fails" in preview.out
    assert "due in 4m" in run("update", "due", ref).out
    recorded = run("update", "record", ref, "--to", "#incidents", "--template", "initial")
    assert recorded.code == 0 and "due in 29m" in recorded.out
    shown = run("show", ref).out
    assert "Update sent to #incidents: [SEV2] Investigating" in shown


def test_an_unknown_template_is_refused_with_the_list(run: Run, declare: Callable[..., str]) -> None:
    result = run("update", "preview", declare(), "--template", "nope")
    assert result.code == 1 and "initial" in result.err
