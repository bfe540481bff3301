"""Alert triage: what fires in every source, grouped, and the sources themselves."""

from commander.ui.kit.shell import Entry, register

register(
    Entry("Incident", "Alert sources…", "commander.ui.alerts.sources:open_alert_sources", order=108),
    Entry("Incident", "A&lerts…", "commander.ui.alerts.view:open_triage", shortcut="Ctrl+Shift+A", order=109),
)
