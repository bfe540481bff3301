"""Action items across incidents, and the trackers they are pushed to."""

from commander.ui.kit.shell import Entry, register

register(
    Entry("Incident", "Trac&kers…", "commander.ui.actions.trackers:open_trackers", order=106),
    Entry(
        "Incident",
        "Actio&n items (all incidents)…",
        "commander.ui.actions.view:open_action_items",
        shortcut="Ctrl+Shift+I",
        order=111,
    ),
)
