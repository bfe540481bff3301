"""The incident itself: the list, the header, its details and the dialogs that change it."""

from commander.ui.kit.shell import Entry, register

register(
    Entry("File", "&Declare incident…", "commander.ui.incident.declare:open_declare", shortcut="Ctrl+N", order=10),
    Entry("Incident", "&Milestones…", "commander.ui.incident.dialogs:open_milestones", needs_incident=True, order=30),
    Entry("Incident", "&Edit details…", "commander.ui.incident.dialogs:open_details", needs_incident=True, order=40),
)
