"""Stakeholder updates: sending and recording them, their templates, destinations and timers."""

from commander.ui.kit.shell import Entry, register

register(
    Entry(
        "Incident",
        "Send &update…",
        "commander.ui.updates.send:open_send_dialog",
        shortcut="Ctrl+U",
        needs_incident=True,
        order=101,
    ),
    Entry(
        "Incident",
        "Update tem&plates…",
        "commander.ui.updates.template_editor:open_template_editor",
        shortcut="Ctrl+Shift+U",
        order=102,
    ),
    Entry(
        "Incident",
        "&Record an update sent…",
        "commander.ui.updates.dialogs:open_record_update",
        needs_incident=True,
        order=103,
    ),
    Entry(
        "Incident",
        "Set a t&imer…",
        "commander.ui.updates.timer_dialog:open_timer_dialog",
        shortcut="Ctrl+T",
        needs_incident=True,
        order=104,
    ),
    Entry("Incident", "&Destinations…", "commander.ui.updates.destinations:open_destinations", order=105),
)
