"""After an incident is resolved here: what is still open elsewhere is offered, one question at a time.

Pages still open are offered first; then the alert silences, and the resolution update for status pages
that still show the incident open, with only those pages ticked. Nothing leaves without the person
pressing Send and confirming.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QDialog, QStatusBar

from commander.ui.kit.problems import attempt
from commander.ui.kit.shell import Shell

RESOLVED_HINT = (
    "Resolved. When the team is ready: Incident > Postmortem… (Ctrl+Shift+P) writes the first draft from the timeline."
)


def offer_after_resolving(shell: Shell, status: QStatusBar, incident_id: str) -> QDialog | None:
    """Called once a status change was accepted: nothing to offer unless the incident is now resolved."""
    console, window = shell.console, shell.window()
    if console.state(incident_id).status.value != "resolved":
        return None
    from commander.ui.paging.page_dialog import offer_page_resolution

    then = partial(offer_after_resolving, shell, status, incident_id)
    if offer_page_resolution(window, console, incident_id, then=then):
        return None  # open pages first; the rest is offered once that is answered, not all at once
    status.showMessage(RESOLVED_HINT, 20_000)
    from commander.app.updates import publishing
    from commander.ui.alerts.view import offer_silence_expiry
    from commander.ui.updates.send import SendUpdateDialog

    offer_silence_expiry(shell, incident_id)  # its Alertmanager silences, if it has any
    done, pages = attempt(
        lambda: publishing.open_on_status_pages(console, incident_id),
        parent=window,
        title="Could not check the status pages",
    )
    if not done or not pages:
        return None
    dialog = SendUpdateDialog(
        console,
        incident_id,
        window,
        template_key="resolution",
        only=pages,
        intro=f"{', '.join(pages)} still show{'s' if len(pages) == 1 else ''} this "
        f"incident as open. Send the resolution to close it there too.",
    )
    dialog.open()
    return dialog
