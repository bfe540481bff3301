"""Pages sent without stalling the window: the events are written here, on the UI thread (one short
transaction each), the requests are made on a worker thread, and the outcomes are recorded back here.

The window's tick asks `tick` about the incident on screen each second: a run that waited its delay with
nobody acknowledging pages its next level (every console on the incident may ask; the store keeps one
escalation, and only the console that wrote it sends it).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMainWindow, QWidget

from commander.app import paging
from commander.app.console import Console
from commander.domain.paging import pages as domain_paging
from commander.integrations.destinations.base import Outcome, warm_up
from commander.ui.kit.background import run_in_background
from commander.ui.kit.problems import attempt, show_problem


class PagingRunner(QObject):
    said = Signal(str)  # a sentence for the status bar: what escalated, what failed
    recorded = Signal(str)  # an incident's outcomes were written

    def __init__(self, console: Console, window: QWidget) -> None:
        super().__init__(window)
        self.console = console
        self.window = window
        self.secrets = console.secrets
        self.sending = 0  # dispatches under way, for tests and for closing
        self.in_flight: set[str] = set()  # pages whose requests are under way: not "stuck", just slow
        if isinstance(window, QMainWindow):  # the shell: what escalated or failed shows in its status bar
            bar = window.statusBar()
            self.said.connect(lambda text: bar.showMessage(text, 20_000))
        warm_up()

    def send(self, dispatch: paging.Dispatch) -> None:
        """Make the requests on a worker thread; record the outcomes when they come back."""
        if not dispatch:
            return
        self.sending += 1
        self.in_flight |= {job.page for job in dispatch.jobs}
        run_in_background(
            lambda _progress: paging.deliver(dispatch),  # no widgets, no store: the outcomes come back here
            parent=self.window,
            success=lambda outcomes: self._finished(dispatch, outcomes),
            failure=self._failed,
            name="commander-page",
        )

    def _failed(self, message: str) -> None:
        """The requests could not be made at all (a pager's refusal or silence is an outcome, not this). Their
        pages stay in flight, so this console does not try them again every second; its next start does."""
        self.sending -= 1
        show_problem(self.window, "Could not send the pages", message)

    def _finished(self, dispatch: paging.Dispatch, outcomes: list[Outcome]) -> None:
        self.sending -= 1
        self.in_flight -= {job.page for job in dispatch.jobs}
        attempt(
            lambda: paging.finish(self.console, dispatch, outcomes),
            parent=self.window,
            title="Could not record what the pager answered",
        )
        failed = [
            (job, outcome) for job, outcome in zip(dispatch.jobs, outcomes, strict=True) if outcome.state != "delivered"
        ]
        if failed:
            job, outcome = failed[0]
            self.said.emit(f"A page did not go through {job.pager}: {outcome.detail}")
        self.recorded.emit(dispatch.incident_id)

    def tick(self, incident_id: str) -> None:
        """Escalate what is due on this incident, and send again what this console was closed while sending.
        Cheap when there is nothing to do: the fold already holds the pages and runs."""
        state = self.console.state(incident_id)
        now = self.console.now()
        if [p for p in domain_paging.stuck(state.paging, self.console.console_id, now) if p.id not in self.in_flight]:
            done, dispatch = attempt(
                lambda: paging.resume_stuck(self.console, incident_id, self.secrets, sending=self.in_flight),
                parent=self.window,
                title="Could not send the interrupted pages again",
            )
            if done and dispatch:
                self.said.emit(f"{state.reference}: sending again the pages Commander was closed while sending.")
                self.send(dispatch)
        if not domain_paging.due_runs(state, now):
            return
        done, dispatch = attempt(
            lambda: paging.escalate_due(self.console, incident_id, self.secrets),
            parent=self.window,
            title="Could not escalate the pages",
        )
        if done and dispatch:
            pages = self.console.state(incident_id).paging.pages
            whom = ", ".join(pages[job.page].target for job in dispatch.jobs if job.page in pages)
            self.said.emit(f"{state.reference}: nobody acknowledged in time, so the next level was paged: {whom}.")
            self.send(dispatch)

    def acknowledge(self, incident_id: str, page_id: str, by: str = "") -> bool:
        done, dispatch = attempt(
            lambda: paging.acknowledge(self.console, incident_id, page_id, self.secrets, by),
            parent=self.window,
            title="Could not acknowledge the page",
        )
        if done and dispatch is not None:
            self.send(dispatch)
        return done

    def resolve(self, incident_id: str) -> bool:
        done, dispatch = attempt(
            lambda: paging.resolve_pages(self.console, incident_id, self.secrets),
            parent=self.window,
            title="Could not resolve the pages",
        )
        if done and dispatch is not None:
            self.send(dispatch)
        return done


def runner_for(widget: QWidget, console: Console) -> PagingRunner:
    """The one runner of the window `widget` is in (a dialog's parent window counts), made on first use."""
    top, above = widget, widget.parentWidget()
    while above is not None:
        top, above = above, above.parentWidget()
    return top.findChild(PagingRunner) or PagingRunner(console, top)
