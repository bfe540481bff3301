"""The postmortem editor, its conflict banner, blameless marks and PDF."""

from commander.ui.kit.shell import Entry, register

register(
    Entry(
        "Incident",
        "P&ostmortem…",
        "commander.ui.postmortem.opening:open_postmortem",
        shortcut="Ctrl+Shift+P",
        needs_incident=True,
        order=112,
    ),
)
