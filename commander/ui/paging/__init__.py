"""Paging people for an incident: the pagers, the page dialog and the incident's pages."""

from commander.ui.kit.shell import Entry, register

register(
    Entry("Incident", "Pagers…", "commander.ui.paging.pagers:open_pagers", order=107),
    Entry(
        "Incident",
        "Pa&ge on-call for a service…",
        "commander.ui.paging.page_dialog:open_page_dialog",
        shortcut="Ctrl+Shift+G",
        needs_incident=True,
        order=114,
    ),
)
