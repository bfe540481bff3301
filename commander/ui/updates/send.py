"""Send update: a template filled from the incident, previewed as it will go out, confirmed, then
published to the chosen destinations off the UI thread, each destination's state shown as it changes."""

from __future__ import annotations

from contextlib import suppress

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from commander.app.console import Console
from commander.app.updates import publishing, template_runner
from commander.app.updates.templates import preview_later, templates
from commander.integrations.destinations.base import Outcome, warm_up
from commander.ui.kit.background import run_in_background
from commander.ui.kit.dialogs import plain_label
from commander.ui.kit.problems import KNOWN, ErrorLabel, attempt
from commander.ui.kit.shell import Shell
from commander.ui.updates.template_rendering import Rendering


class SendUpdateDialog(QDialog):
    delivery_changed = Signal(str, str, str)  # destination, state, detail: from the worker, as it goes

    def __init__(
        self,
        console: Console,
        incident_id: str,
        parent: QWidget | None = None,
        *,
        template_key: str | None = None,
        only: list[str] | None = None,
        intro: str = "",
    ) -> None:
        """`template_key` and `only` preselect a template and the destinations to tick (all when None);
        `intro` says why the dialog opened by itself."""
        super().__init__(parent)
        self.console, self.incident_id = console, incident_id
        self.secrets = console.secrets
        self.setWindowTitle(f"Send update: {console.state(incident_id).reference}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.templates = templates(console)
        self.template = QComboBox(self)
        self.template.setAccessibleName("Template")
        for key, template in self.templates.items():
            self.template.addItem(f"{template.name}  ({template.stage})" if template.stage else template.name, key)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setAccessibleName("The update as it will go out")
        self.text.setMinimumHeight(self.fontMetrics().height() * 9)
        self.error = ErrorLabel(self)
        self.choices: dict[str, QCheckBox] = {}
        self.states: dict[str, QLabel] = {}
        layout = QVBoxLayout(self)
        if intro:
            layout.addWidget(plain_label(intro, self))
        layout.addWidget(plain_label("Template", self))
        layout.addWidget(self.template)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.error)
        known = publishing.destinations(console)
        if not known:
            layout.addWidget(
                plain_label(
                    "No destinations yet: add Slack, Teams, a status page… with Incident > Destinations…",
                    self,
                    name="Muted",
                )
            )
        for name, config in known.items():
            box = QCheckBox(f"{name}  ({config.kind})", self)
            box.setChecked(only is None or name in only)
            state = QLabel("", self)
            state.setObjectName("Faint")
            state.setTextFormat(Qt.TextFormat.PlainText)
            self.choices[name], self.states[name] = box, state
            layout.addWidget(box)
            layout.addWidget(state)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Close, self
        )
        self.send_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.send_button.setText("Send…")
        self.send_button.setEnabled(bool(known))
        self.buttons.accepted.connect(self.confirm)
        self.buttons.rejected.connect(self.reject)
        # after a send, the deliveries that failed can go again as they were queued (same text, same ids)
        self.retry_button = self.buttons.addButton("Retry failed", QDialogButtonBox.ButtonRole.ActionRole)
        self.retry_button.setVisible(False)
        self.retry_button.clicked.connect(self.retry)
        self.failed: list[str] = []  # delivery ids
        layout.addWidget(self.buttons)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("x") * 72)
        warm_up()  # the TLS context, made while the person reads the preview
        self.delivery_changed.connect(self._show_state)
        if template_key is not None and self.template.findData(template_key) >= 0:
            self.template.setCurrentIndex(self.template.findData(template_key))
        self.template.currentIndexChanged.connect(self.refresh)
        self.rendering = Rendering(self, self._previewed, self._not_previewed)
        self._held = False  # Send disabled here until the preview worked
        template_runner.ready()
        self.refresh()

    def refresh(self) -> None:
        """Fill the template in off the UI thread (a hostile one runs until its time budget is up); Send
        waits for a preview that worked."""
        if self.send_button.isEnabled():
            self.send_button.setEnabled(False)
            self._held = True
        read, work = attempt(
            lambda: preview_later(self.console, self.incident_id, self.template.currentData()), inline=self.error
        )
        if read and work is not None:
            self.rendering.start(work)

    def _previewed(self, text: str) -> None:
        self.text.setPlainText(text)
        self.error.clear_message()
        if self._held:
            self.send_button.setEnabled(True)
            self._held = False

    def _not_previewed(self, message: str) -> None:
        """A template error names its line; the dialog stays usable."""
        self.text.setPlainText("")
        self.error.show_message(message)

    def chosen(self) -> list[str]:
        return [name for name, box in self.choices.items() if box.isChecked()]

    def confirm(self) -> None:
        names = self.chosen()
        if not names:
            self.error.show_message("Choose at least one destination.")
            return
        box = self.confirmation(names)
        if box.exec() == QMessageBox.StandardButton.Yes:
            self.send(names)

    def confirmation(self, names: list[str]) -> QMessageBox:
        """What goes where: the text and the destinations; "Show Details…" has each destination's exact
        requests (bodies as they will be sent, secrets masked)."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Send this update?",
            f"This update goes to: {', '.join(names)}.\n\n{self.text.toPlainText()}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)  # the text is a template's output: never read as HTML
        box.setDefaultButton(QMessageBox.StandardButton.No)
        details = []
        for name in names:
            try:
                details.append(
                    publishing.what_goes_where(
                        self.console, self.incident_id, self.template.currentData(), name, self.secrets
                    )
                )
            except KNOWN as problem:
                details.append(f"{name}: {problem}")
        box.setDetailedText("\n\n".join(details))
        return box

    def send(self, names: list[str]) -> None:
        """Queue (events written here, on the UI thread), then deliver on a worker thread."""
        key = self.template.currentData()
        done, sending = attempt(
            lambda: publishing.prepare(self.console, self.incident_id, key, names, self.secrets), inline=self.error
        )
        if not done or sending is None:
            return
        self.send_button.setEnabled(False)
        self._deliver(sending)

    def retry(self) -> None:
        """The failed deliveries sent again, as they were queued: a destination that deduplicates (Matrix,
        status pages) cannot post twice."""
        done, sending = attempt(lambda: publishing.retry(self.console, self.failed, self.secrets), inline=self.error)
        if not done or sending is None:
            return
        self.retry_button.setEnabled(False)
        self.error.clear_message()
        self._deliver(sending)

    def _deliver(self, sending: publishing.Sending) -> None:
        """The requests on a worker thread, each destination's state shown as it changes; the outcomes are
        recorded back here."""

        def report(name: str, state: str, detail: str) -> None:
            with suppress(RuntimeError):  # the dialog was closed meanwhile: nobody is reading
                self.delivery_changed.emit(name, state, detail)

        run_in_background(
            lambda _progress: publishing.deliver(sending, on_state=report),
            parent=self,
            success=lambda outcomes: self._finished(sending, outcomes),
            inline=self.error,
            name="commander-send",
        )

    def _show_state(self, name: str, state: str, detail: str) -> None:
        label = self.states.get(name)
        if label is not None:
            label.setText(f"{state}: {detail}" if detail and state != "sending" else state)

    def _finished(self, sending: publishing.Sending, outcomes: dict[str, Outcome]) -> None:
        if not attempt(lambda: publishing.finish(self.console, sending, outcomes), inline=self.error)[0]:
            return
        self.failed = [delivery for delivery, outcome in outcomes.items() if outcome.state != "delivered"]
        failed = [sending.name(delivery) for delivery in self.failed]
        if failed:
            self.error.show_message(
                f"Not delivered to {', '.join(failed)}: see each one's reason above, then "
                f"Retry failed when it is fixed."
            )
        self.retry_button.setVisible(bool(failed))
        self.retry_button.setEnabled(bool(failed))
        self.send_button.setText("Sent")


def open_send_dialog(shell: Shell) -> SendUpdateDialog | None:
    """Send an update about the incident on screen (none when no incident is shown)."""
    if shell.current is None:
        return None
    dialog = SendUpdateDialog(shell.console, shell.current, shell.window())
    dialog.open()
    return dialog
