"""The runbook library window: list, viewer, import, versions and suggested changes."""

from commander.ui.kit.shell import Entry, register

register(
    Entry(
        "Incident",
        "Run&books…",
        "commander.ui.runbooks.library:open_runbook_library",
        shortcut="Ctrl+Shift+B",
        order=110,
    ),
)
