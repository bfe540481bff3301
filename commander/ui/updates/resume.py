"""Updates interrupted when Commander was closed mid-send, or whose delivery gave up retrying: the safe
ones are sent again by themselves (the same delivery id, so Matrix and the status pages cannot post twice);
the others are shown to the person, who decides: send again (it may post twice), or record them as not
sent."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from commander.app.console import Console
from commander.app.updates import publishing
from commander.integrations.destinations.base import Outcome
from commander.ui.kit.background import run_in_background
from commander.ui.kit.dialogs import plain_label
from commander.ui.kit.problems import KNOWN, attempt


class Resumer(QObject):
    """Finds interrupted updates, resends the safe ones off the UI thread and records the outcomes.
    `said` hears one sentence for the status bar; `unsure` gets the ones a person must decide."""

    said = Signal(str)
    unsure = Signal(list)

    def __init__(self, console: Console, window: QWidget) -> None:
        super().__init__(window)
        self.console, self.window = console, window
        self.running = 0  # deliveries under way

    def check(self) -> None:
        try:
            found = publishing.pending(self.console, self.console.secrets)
        except KNOWN as problem:
            self.said.emit(f"Could not check for updates interrupted last time: {problem}")
            return
        self.send([item for item in found if item.automatic])
        others = [item for item in found if not item.automatic]
        if others:
            self.unsure.emit(others)

    def send(self, items: list[publishing.Pending]) -> None:
        if not items:
            return
        try:
            sending = publishing.resume(self.console, items, self.console.secrets)
        except KNOWN as problem:
            self.said.emit(str(problem))
            return
        count = f"{len(items)} update{'s' if len(items) > 1 else ''}"
        self.said.emit(
            f"Sending {count} interrupted when Commander closed…"
            if not any(i.gave_up for i in items)
            else f"Sending {count} again that did not go out last time…"
        )
        self._deliver(sending)

    def retry(self, deliveries: list[str]) -> None:
        """Failed deliveries (update.queued ids) sent again as they were queued; DomainError when they
        cannot be (the destination was removed, or they were delivered since)."""
        self._deliver(publishing.retry(self.console, deliveries, self.console.secrets))

    def _deliver(self, sending: publishing.Sending) -> None:
        self.running += 1
        task = run_in_background(
            lambda _progress: publishing.deliver(sending),
            parent=self.window,
            success=lambda outcomes: self._finished(sending, outcomes),
            failure=lambda message: self.said.emit(f"Could not send the updates again: {message}"),
            name="commander-resume",
        )
        task.finished.connect(self._ended)

    def _ended(self) -> None:
        self.running -= 1

    def _finished(self, sending: publishing.Sending, outcomes: dict[str, Outcome]) -> None:
        try:
            publishing.finish(self.console, sending, outcomes)
        except KNOWN as problem:
            self.said.emit(f"Could not record the resent updates' outcomes: {problem}")
            return
        failed = [sending.name(d) for d, outcome in outcomes.items() if outcome.state != "delivered"]
        delivered = len(outcomes) - len(failed)
        self.said.emit(
            f"Updates sent again: {delivered} delivered"
            + (f", not delivered to {', '.join(failed)} (see the timeline)" if failed else "")
            + "."
        )


class InterruptedDialog(QDialog):
    """The updates Commander cannot resend safely by itself: send again, or record as not sent."""

    def __init__(
        self,
        items: list[publishing.Pending],
        decide: Callable[[list[publishing.Pending], bool], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.items, self.decide = items, decide
        self.setWindowTitle("Updates interrupted when Commander closed")
        layout = QVBoxLayout(self)
        count = f"{len(items)} update{'s' if len(items) > 1 else ''}"
        layout.addWidget(
            plain_label(
                f"Commander was closed while sending {count}. It cannot tell whether these arrived:"
                if not any(item.gave_up for item in items)
                else f"{count} did not go out: Commander was closed while sending, or the destination kept asking to "
                f"wait until the delivery ran out of time. Send again, or record as not sent:",
                self,
            )
        )
        for item in items:
            line = QLabel("•  " + item.describe(), self)
            line.setTextFormat(Qt.TextFormat.PlainText)
            line.setWordWrap(True)
            layout.addWidget(line)
        buttons = QDialogButtonBox(self)
        self.again = buttons.addButton("Send again", QDialogButtonBox.ButtonRole.AcceptRole)
        self.not_sent = buttons.addButton("Record as not sent", QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton("Decide later", QDialogButtonBox.ButtonRole.RejectRole)
        self.again.setEnabled(any(item.kind is not None for item in items))
        self.again.clicked.connect(lambda: self._choose(True))
        self.not_sent.clicked.connect(lambda: self._choose(False))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("x") * 70)

    def _choose(self, again: bool) -> None:
        self.decide(self.items, again)
        self.accept()


def resume_interrupted(console: Console, parent: QWidget, say: Callable[[str, int], None]) -> Resumer:
    """At start: the safe interrupted updates go again by themselves (`say` reports it in the status
    bar); the person is asked about the rest: send again, or record them as not sent."""
    resumer = Resumer(console, parent)
    resumer.said.connect(lambda text: say(text, 20_000))

    def ask(items: list[publishing.Pending]) -> None:
        def decide(chosen: list[publishing.Pending], again: bool) -> None:
            if again:
                resumer.send([item for item in chosen if item.kind is not None])
            dropped = [item for item in chosen if not again or item.kind is None]
            if dropped:
                attempt(
                    lambda: publishing.abandon(console, dropped),
                    parent=parent,
                    title="Could not record the interrupted updates as not sent",
                )

        dialog = InterruptedDialog(items, decide, parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    resumer.unsure.connect(ask)
    resumer.check()
    return resumer


def retry_failed(console: Console, incident_id: str, failed_event: str, parent: QWidget) -> Resumer | None:
    """The delivery behind a failed update's timeline entry, sent again off the UI thread; its outcome
    lands on the timeline. None (after saying why) when it cannot go again."""
    event = next((e for e in console.view(incident_id).events if e.id == failed_event), None)
    if event is None or event.kind != "update.failed":
        return None
    resumer = Resumer(console, parent)
    done, _ = attempt(
        lambda: resumer.retry([event.payload["delivery"]]), parent=parent, title="Could not send the update again"
    )
    return resumer if done else None
