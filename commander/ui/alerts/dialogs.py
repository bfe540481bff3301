"""The triage view's dialogs: declare from alerts (the proposal, editable), mark as noise, and silence
for an incident (what will be created is shown in full; the network part runs in the background)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLineEdit, QPlainTextEdit, QSpinBox, QToolButton, QWidget

from commander.app import alerts as triage
from commander.app.alerts import Outcome
from commander.app.console import Console
from commander.domain.alerts.alerts import Alert
from commander.domain.alerts.triage import SILENCE_MAX_MINUTES, SilencePlan
from commander.domain.incident.decisions import Declaration
from commander.domain.incident.state import IncidentState
from commander.ui.incident.declare import DeclareDialog
from commander.ui.kit.background import run_in_background
from commander.ui.kit.dialogs import CommandDialog, plain_label, read_when
from commander.ui.kit.problems import KNOWN, attempt

QUICK_DURATIONS = ((30, "30 min"), (60, "1 h"), (240, "4 h"), (1440, "1 day"))


def _count(alerts: Sequence[Alert]) -> str:
    return f"{len(alerts)} alert{'s' if len(alerts) != 1 else ''}"


class DeclareFromAlertsDialog(DeclareDialog):
    """The declare dialog filled from the alerts' labels; declaring attaches them in the same write."""

    def __init__(self, console: Console, chosen: list[Alert], parent: QWidget | None = None) -> None:
        super().__init__(console, parent)
        self.chosen = chosen
        self.setWindowTitle(f"Declare an incident from {_count(chosen)}")
        offer = triage.proposal(console, chosen)
        self.title.setText(offer.title)
        self.severity.setCurrentIndex(max(0, self.severity.findData(offer.severity)))
        self.services.setText(", ".join(offer.services))
        self.summary.setText(offer.summary)
        if offer.detected_at is not None:
            self.detected.setText(offer.detected_at.astimezone(console.zone).strftime("%Y-%m-%d %H:%M"))
        self.set_intro(
            f"Proposed from the alerts' labels (severity from their severity label); change anything. "
            f"The {_count(chosen)} will be attached. Detected at is when the first one started."
        )

    def perform(self) -> object:
        form = Declaration(
            title=self.title.text(),
            severity=str(self.severity.currentData()),
            services=(self.services.text(),),
            summary=self.summary.text(),
            detected_at=read_when(self.detected.text(), self.console),
            drill=self.drill.isChecked(),
            commander=self.commander.text().strip() or None,
        )
        return triage.declare_from_alerts(self.console, self.chosen, form=form)

    def succeeded(self, result: object) -> None:
        if isinstance(result, IncidentState):
            self.declared.emit(result.id)


class NoiseDialog(CommandDialog):
    """Why these alerts needed nothing: counted later to fight alert fatigue."""

    def __init__(
        self, console: Console, chosen: list[Alert], incident: IncidentState | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(f"Mark {_count(chosen)} as noise", "Mark as noise", parent)
        self.console, self.chosen, self.incident = console, chosen, incident
        names = ", ".join(sorted({a.name for a in chosen}))
        self.set_intro(
            f"{names}: fired, but nothing needed doing. The reason is kept and counted, so the alert "
            f"can be fixed or removed."
        )
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText("e.g. threshold too low; flaps during deploys")
        self.reason.setAccessibleName("Reason")
        self.form.addRow("Reason", self.reason)
        self.on_timeline = QCheckBox(f"Also on {incident.reference}'s timeline" if incident else "", self)
        if incident is not None:
            attached = {f"{a.source}/{a.fingerprint}" for a in chosen} & set(incident.alerts)
            self.on_timeline.setChecked(bool(attached))
            self.form.addRow("", self.on_timeline)
        else:
            self.on_timeline.hide()
        self.reason.setFocus()

    def perform(self) -> object:
        incident_id = self.incident.id if self.incident is not None and self.on_timeline.isChecked() else None
        return triage.mark_noise(self.console, self.chosen, self.reason.text(), incident_id)


class SilenceDialog(CommandDialog):
    """Everything the silence will hold is on screen (source, matchers, how long, the comment with the
    incident's reference) before the person presses Create; then it is created in the background and
    recorded on the incident's timeline."""

    def __init__(self, console: Console, incident_id: str, chosen: list[Alert], parent: QWidget | None = None) -> None:
        super().__init__("Silence alerts", "Create silence", parent)
        self.console, self.incident_id, self.chosen = console, incident_id, chosen
        self.plans: list[SilencePlan] = []
        state = console.state(incident_id)
        self.set_intro(
            f"A silence in Alertmanager stops notifications for {state.reference}'s alerts while you "
            f"work on it. It matches every alert with these labels, not only the {_count(chosen)}."
        )
        self.minutes = QSpinBox(self)
        self.minutes.setRange(1, SILENCE_MAX_MINUTES)
        self.minutes.setValue(60)
        self.minutes.setSuffix(" min")
        self.minutes.setAccessibleName("Duration in minutes")
        # Tool buttons, not push buttons: a push button in a dialog can take Enter, which must create it.
        duration = QHBoxLayout()
        duration.setSpacing(4)
        duration.addWidget(self.minutes)
        for minutes, text in QUICK_DURATIONS:
            choice = QToolButton(self)
            choice.setObjectName("Chip")
            choice.setText(text)
            choice.setAccessibleName(f"For {text}")
            choice.clicked.connect(partial(self.minutes.setValue, minutes))
            duration.addWidget(choice)
        duration.addStretch(1)
        self.comment = QLineEdit(self)
        self.comment.setPlaceholderText(f"why — it is saved as “{state.reference}: …”")
        self.comment.setAccessibleName("Comment")
        self.preview = QPlainTextEdit(self)
        self.preview.setReadOnly(True)
        self.preview.setAccessibleName("What will be created")
        self.preview.setMinimumHeight(self.fontMetrics().height() * 8)
        self.form.addRow("Duration", duration)
        self.form.addRow("Comment", self.comment)
        self.form.addRow(plain_label("What will be created", self, name="Muted"))
        self.form.addRow(self.preview)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("x") * 84)
        self.minutes.valueChanged.connect(self._plan)
        self.comment.textChanged.connect(self._plan)
        self._plan()
        self.comment.setFocus()

    def _plan(self) -> None:
        try:
            self.plans = triage.plan_silences(
                self.console, self.incident_id, self.chosen, self.minutes.value(), self.comment.text()
            )
        except KNOWN as problem:
            self.plans = []
            self.preview.setPlainText("")
            self.error.show_message(str(problem))
        else:
            self.error.clear_message()
            self.preview.setPlainText("\n\n".join(p.describe(self.console.time_format) for p in self.plans))
        self.ok.setEnabled(bool(self.plans))

    def submit(self) -> None:
        """Create in the background (the network); the dialog stays until the outcome is recorded."""
        if not self.plans:
            return
        found, known = attempt(lambda: triage.sources(self.console), inline=self.error)
        if not found or known is None:
            return
        plans, console = list(self.plans), self.console
        self.ok.setEnabled(False)
        self.ok.setText("Creating…")
        run_in_background(
            # on the worker thread: the network only, no widgets and no store
            lambda _progress: triage.create_silences(known, plans, console.secrets, services=console.services),
            parent=self,
            success=self._created,
            failure=self._not_created,
            name="commander-silence",
        )

    def _not_created(self, message: str) -> None:
        self.ok.setText("Create silence")
        self.error.show_message(message)
        self.ok.setEnabled(True)

    def _created(self, outcome: list[Outcome]) -> None:
        self.ok.setText("Create silence")
        done, _ = attempt(lambda: triage.record_silences(self.console, self.incident_id, outcome), inline=self.error)
        if done:
            self.accept()
        else:
            self.ok.setEnabled(not any(o.silence_id for o in outcome))  # never twice for one that was made
            self.fit_height()
