"""The file name an export suggests for a runbook, or for a checklist made from one."""

from __future__ import annotations


def file_name(title: str) -> str:
    """A title as a file name: lower case, its words joined by hyphens (“Disk full!” gives disk-full)."""
    kept = "".join(c if c.isalnum() else "-" for c in title.lower())
    return "-".join(part for part in kept.split("-") if part)[:60] or "checklist"
