"""Who is on call: schedules, their calendars and overrides."""

from commander.ui.kit.shell import Entry, register

register(
    Entry("Incident", "On-&call…", "commander.ui.oncall.view:open_oncall", shortcut="Ctrl+Shift+O", order=113),
)
