"""Workflow rules: the editor window (list, form, YAML, dry run) and the incident's Automation tab of runs."""

from commander.ui.kit.shell import Entry, register

register(
    Entry(
        "Incident",
        "&Workflows…",
        "commander.ui.workflows.editor:open_workflows",
        shortcut="Ctrl+Shift+W",
        order=115,
    ),
)
