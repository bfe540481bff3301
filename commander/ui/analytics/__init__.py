"""Trends across incidents: the window, its tables and charts."""

from commander.ui.kit.shell import Entry, register

register(
    Entry("View", "T&rends…", "commander.ui.analytics.view:open_trends", shortcut="Ctrl+Shift+R", order=200),
)
