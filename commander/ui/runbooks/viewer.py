"""The runbook on show in the library window: what it is for, who owns it and whom to call, how fresh it
is, its links, the suggestions waiting for its owner, and its steps (runbooks.steps).

Everything that comes from a runbook is shown as text, whatever it contains: a summary reading
`<img src=x onerror=…>` shows those characters. Its Markdown (bold, code, links in the summary and the
steps) is shown as formatting made by commander.domain.runbooks.inline_markdown, which writes every tag itself;
the title is its plain words. Links are anchors of our own making and open in the browser only when they
are http, https or mailto.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QCursor,
    QDesktopServices,
    QFontMetrics,
    QGuiApplication,
    QPainter,
    QPaintEvent,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from commander.domain.checklists.state import one_line, plain_words
from commander.domain.core.when import format_duration
from commander.domain.runbooks import inline_markdown
from commander.domain.runbooks.library import RunbookRecord, Suggestion
from commander.ui.kit import richtext
from commander.ui.kit.dialogs import FormGrid, plain_label
from commander.ui.kit.problems import show_problem
from commander.ui.kit.theme import Tones, scaled_font
from commander.ui.runbooks.chips import chip
from commander.ui.runbooks.steps import StepsView

WEB_SCHEMES = ("http", "https")
OPENED_SCHEMES = (*WEB_SCHEMES, "mailto")  # a runbook's own links: a mail address opens the mail program


def freshness(record: RunbookRecord, now: datetime, days: int) -> tuple[str, bool]:
    """("reviewed 12 days ago", False) or ("STALE: 140 days", True): how far to trust the runbook."""
    reviewed = record.current.reviewed_at
    if reviewed is None and record.current.changed_at is not None:  # git's date stands in for a review
        said = f"changed in git {record.current.changed_at:%Y-%m-%d}"
        return (f"STALE: {said}", True) if record.current.stale(now, days) else (said, False)
    if reviewed is None:
        return "STALE: never reviewed", True
    age = max(0, (now - reviewed).days)
    if record.current.stale(now, days):
        return f"STALE: {age} days", True
    return ("reviewed today" if age == 0 else "reviewed yesterday" if age == 1 else f"reviewed {age} days ago"), False


def open_web_link(url: str, parent: QWidget) -> bool:
    """Open an http(s) address in the browser (a mailto in the mail program); anything else (file:,
    javascript:) is refused with a reason."""
    address = QUrl(url.strip())
    if address.isValid() and address.scheme().lower() in OPENED_SCHEMES:
        QDesktopServices.openUrl(address)
        return True
    show_problem(
        parent,
        "Not a web link",
        f"“{url}” is not a web address (http or https), so Commander does not open it. Copy it and open "
        f"it yourself if you trust it, or fix the runbook.",
    )
    return False


def links_html(links: tuple[tuple[str, str], ...]) -> str:
    """The runbook's links as anchors we make ourselves, every word escaped; a link that is not http(s)
    stays plain text."""
    shown = []
    for label, url in links:
        if QUrl(url).scheme().lower() in WEB_SCHEMES:
            shown.append(f'<a href="{html.escape(url, quote=True)}">{html.escape(label)}</a>&nbsp;↗')
        else:
            shown.append(f"{html.escape(label)} ({html.escape(url)}, not a web address)")
    return "&nbsp;&nbsp;·&nbsp;&nbsp;".join(shown)


class Chip(QWidget):
    """A word on a rounded badge: the version, the freshness, the open suggestions."""

    TONES = {
        "warning": ("warning_bg", "warning", "warning"),
        "accent": (None, "accent", "accent"),
        "muted": (None, "muted", "border"),
    }

    def __init__(self, tones: Callable[[], Tones], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tones = tones
        self._text, self._tone = "", "muted"
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_chip(self, text: str, tone: str = "muted") -> None:
        self._text, self._tone = text, tone
        self.setAccessibleName(text)
        self.setVisible(bool(text))
        self.updateGeometry()
        self.update()

    def text(self) -> str:
        return self._text

    def sizeHint(self) -> QSize:
        metrics = QFontMetrics(self.font())
        return QSize(metrics.horizontalAdvance(self._text) + 18, metrics.height() + 6)

    def paintEvent(self, event: QPaintEvent) -> None:
        t = self.tones()
        fill, ink, edge = self.TONES.get(self._tone, self.TONES["muted"])
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(self.font())
        chip(
            painter,
            self.rect(),
            self._text,
            fill=getattr(t, fill) if fill else None,
            ink=getattr(t, ink),
            edge=getattr(t, edge),
            radius=self.height() // 2,
        )
        painter.end()


class RunbookViewer(QWidget):
    attach_requested = Signal()
    review_requested = Signal()
    versions_requested = Signal()
    export_requested = Signal()
    retire_requested = Signal()
    accept_requested = Signal(str)  # a suggestion's id
    decline_requested = Signal(str)
    said = Signal(str)  # a short confirmation for the window's status line

    def __init__(self, tones: Callable[[], Tones], parent: QWidget | None = None) -> None:
        """`tones` gives the shell's colours as they are now: a theme switch there shows at the next repaint."""
        super().__init__(parent)
        self.tones = tones
        self.record: RunbookRecord | None = None
        self.title = plain_label("", self)
        self.title.setFont(scaled_font(1.3, bold=True, base=self.font()))
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.version_chip, self.fresh_chip, self.suggestions_chip = (Chip(tones, self) for _ in range(3))
        chips = QHBoxLayout()
        chips.setSpacing(6)
        for made in (self.version_chip, self.fresh_chip, self.suggestions_chip):
            chips.addWidget(made)
        chips.addStretch(1)
        self.summary = self._make_summary()
        self.facts: dict[str, tuple[QLabel, QLabel]] = {}
        grid = self._make_facts()
        actions = self._make_actions()
        self.suggestions = QVBoxLayout()
        self.suggestions.setSpacing(6)
        self.suggestion_rows: list[QFrame] = []

        header = QWidget(self)
        header.setObjectName("Panel")
        column = QVBoxLayout(header)
        column.setContentsMargins(14, 12, 14, 10)
        column.setSpacing(8)
        column.addWidget(self.title)
        column.addLayout(chips)
        column.addWidget(self.summary)
        column.addLayout(grid)
        column.addLayout(actions)
        column.addLayout(self.suggestions)
        self.header = header
        self._make_body()
        self.steps.copy_requested.connect(self.copy_selected_command)
        self.show_record(None, empty="Select a runbook on the left to read it.")

    def _make_summary(self) -> QLabel:
        summary = QLabel(self)
        summary.setWordWrap(True)
        summary.setTextFormat(Qt.TextFormat.RichText)  # inline_markdown.html only: every tag made there
        summary.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        summary.setOpenExternalLinks(False)
        summary.linkActivated.connect(lambda url: open_web_link(url, self))
        summary.linkHovered.connect(self._show_address)  # a link says where it goes before it is clicked
        return summary

    def _make_facts(self) -> FormGrid:
        """Owner, contacts, services … : a caption and its value, both hidden while the value is empty."""
        grid = FormGrid()
        grid.setVerticalSpacing(3)
        for name in ("Owner", "Contacts", "Services", "Alerts", "Tags", "Links", "From"):
            caption = plain_label(name, self, name="Muted")
            caption.setWordWrap(False)
            value = plain_label("", self)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addRow(caption, value)
            self.facts[name] = (caption, value)
        links = self.facts["Links"][1]
        links.setTextFormat(Qt.TextFormat.RichText)  # anchors made by links_html, every word escaped
        links.setTextInteractionFlags(
            Qt.TextInteractionFlag.LinksAccessibleByMouse | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        links.setOpenExternalLinks(False)
        links.linkActivated.connect(lambda url: open_web_link(url, self))
        self.facts["From"][1].setObjectName("Faint")
        return grid

    def _make_actions(self) -> QHBoxLayout:
        self.attach_button = QPushButton("Attach to incident", self)
        self.attach_button.setObjectName("Primary")
        self.review_button = QPushButton("Mark reviewed…", self)
        self.versions_button = QPushButton("Versions…", self)
        self.export_button = QPushButton("Export…", self)
        self.retire_button = QPushButton("Retire…", self)
        actions = QHBoxLayout()
        actions.setSpacing(6)
        for button, signal in (
            (self.attach_button, self.attach_requested),
            (self.review_button, self.review_requested),
            (self.versions_button, self.versions_requested),
            (self.export_button, self.export_requested),
            (self.retire_button, self.retire_requested),
        ):
            button.clicked.connect(signal.emit)
            actions.addWidget(button)
        actions.addStretch(1)
        self.review_button.setToolTip("Say you checked every step still holds; the runbook is fresh again")
        self.versions_button.setToolTip("Every version of this runbook; pick two to see what changed")
        self.retire_button.setToolTip("Take the runbook out of lists and searches (a later import brings it back)")
        return actions

    def _make_body(self) -> None:
        """The header above the steps, or the empty state in their place."""
        self.header_area = QScrollArea(self)
        self.header_area.setWidgetResizable(True)
        self.header_area.setFrameShape(QFrame.Shape.NoFrame)
        self.header_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.header_area.setWidget(self.header)
        self.steps = StepsView(self.tones, self)
        self.steps.delegate.copy_clicked.connect(self._copy_at)
        self.steps.delegate.link_clicked.connect(self._open_link_at)
        self.steps.delegate.anchor_clicked.connect(lambda url: open_web_link(url, self))
        self.split = QSplitter(Qt.Orientation.Vertical, self)
        self.split.addWidget(self.header_area)
        self.split.addWidget(self.steps)
        self.split.setChildrenCollapsible(False)
        self.split.setStretchFactor(1, 1)

        self.empty = plain_label("", self, name="EmptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._fitting = QTimer(self)
        self._fitting.setSingleShot(True)
        self._fitting.setInterval(0)
        self._fitting.timeout.connect(self._fit_header)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.split)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

    # -- what is on show -----------------------------------------------------------------------------

    def show_record(
        self,
        record: RunbookRecord | None,
        *,
        now: datetime | None = None,
        stale_days: int = 90,
        attach_to: str = "",
        empty: str = "",
    ) -> None:
        """Show a runbook (or, with None, the sentence `empty`). `attach_to` is the open incident's
        reference, or "" when there is none to attach to."""
        self.record = record
        if record is None or now is None:
            self.empty.setText(empty or "Select a runbook on the left to read it.")
            self.stack.setCurrentWidget(self.empty)
            self.steps.show_runbook(None)
            return
        runbook = record.current
        self.title.setText(inline_markdown.plain(runbook.title))
        self.version_chip.set_chip(f"version {runbook.version} of {len(record.versions)}")
        words, stale = freshness(record, now, stale_days)
        self.fresh_chip.set_chip(words, "warning" if stale else "muted")
        self.fresh_chip.setToolTip(
            f"Reviews are due every {stale_days} days. An outdated runbook is more dangerous "
            f"than none: check each step against what you see."
            if stale
            else f"Reviews are due every {stale_days} days."
        )
        count = len(record.suggestions)
        self.suggestions_chip.set_chip(f"{count} open suggestion{'s' if count != 1 else ''}" if count else "", "accent")
        self.summary.setText(inline_markdown.html(runbook.summary, block=True))
        self.summary.setVisible(bool(runbook.summary))
        self._fact("Owner", runbook.owner or "")
        self._fact("Contacts", "\n".join(runbook.contacts))
        self._fact("Services", ", ".join(runbook.services))
        self._fact("Alerts", ", ".join(runbook.alerts))
        self._fact("Tags", ", ".join(runbook.tags))
        self._fact("Links", links_html(runbook.links))
        self._fact("From", runbook.source)
        self.attach_button.setText(f"Attach to {attach_to}" if attach_to else "Attach to incident")
        self.attach_button.setEnabled(bool(attach_to))
        self.attach_button.setToolTip(
            "Its steps become a checklist on the incident (Enter in the list)"
            if attach_to
            else "Open an incident in the main window to attach a runbook to it"
        )
        self.versions_button.setEnabled(len(record.versions) > 1)
        self._show_suggestions(record, now)
        self.steps.show_runbook(runbook)
        self.stack.setCurrentWidget(self.split)
        self._fitting.start()  # once the new suggestion rows are shown: Qt shows them at the next turn

    def _show_address(self, url: str) -> None:
        if url:
            QToolTip.showText(QCursor.pos(), richtext.tooltip(url), self.summary)
        else:
            QToolTip.hideText()

    def _fact(self, name: str, value: str) -> None:
        caption, label = self.facts[name]
        label.setText(value)
        caption.setVisible(bool(value))
        label.setVisible(bool(value))

    def _show_suggestions(self, record: RunbookRecord, now: datetime) -> None:
        for row in self.suggestion_rows:
            self.suggestions.removeWidget(row)
            row.deleteLater()
        self.suggestion_rows = [self._suggestion_row(record, suggestion, now) for suggestion in record.suggestions]
        for row in self.suggestion_rows:
            self.suggestions.addWidget(row)

    def _suggestion_row(self, record: RunbookRecord, suggestion: Suggestion, now: datetime) -> QFrame:
        frame = QFrame(self.header)
        frame.setObjectName("KeyRoleBanner")  # the warning-tinted box: something waits for the owner
        step = record.current.step(suggestion.step) if suggestion.step else None
        about = (
            f", about “{plain_words(step.text, 50)}”"
            if step
            else f", about step {suggestion.step}"
            if suggestion.step
            else ""
        )
        age = now - suggestion.at
        when = "just now" if age.total_seconds() < 60 else f"{format_duration(age)} ago"
        text = plain_label(suggestion.text, frame)
        meta = plain_label(f"{suggestion.by} on {suggestion.reference}, {when}{about}", frame)
        meta.setStyleSheet("font-weight: normal;")  # the banner's bold is for the suggestion itself
        accept = QPushButton("Accept…", frame)
        accept.setToolTip("Edit the runbook with the change: saving makes a new version and closes the suggestion")
        accept.clicked.connect(lambda: self.accept_requested.emit(suggestion.id))
        decline = QPushButton("Decline…", frame)
        decline.setToolTip("Close the suggestion with a note saying why")
        decline.clicked.connect(lambda: self.decline_requested.emit(suggestion.id))
        words = QVBoxLayout()
        words.setSpacing(2)
        words.addWidget(text)
        words.addWidget(meta)
        row = QHBoxLayout(frame)
        row.setContentsMargins(6, 4, 6, 4)
        row.addLayout(words, 1)
        row.addWidget(accept, 0, Qt.AlignmentFlag.AlignVCenter)
        row.addWidget(decline, 0, Qt.AlignmentFlag.AlignVCenter)
        return frame

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().height() != event.oldSize().height() and self.record is not None:
            self._fitting.start()

    def _fit_header(self) -> None:
        """Give the header the height it needs, up to half the viewer; the steps take the rest."""
        total = max(self.split.height(), self.height(), 400)
        column = self.header.layout()
        if column is not None:
            column.activate()
        width = max(200, self.header_area.viewport().width())
        needed = self.header.heightForWidth(width) if self.header.hasHeightForWidth() else -1
        needed = max(needed, self.header.minimumSizeHint().height()) + 2
        top = min(needed, total // 2)
        self.split.setSizes([top, max(100, total - top)])

    # -- commands and links --------------------------------------------------------------------------

    def copy_selected_command(self) -> bool:
        step = self.steps.current_step()
        if step is None or not step.command:
            self.said.emit("Select a step with a command to copy it.")
            return False
        QGuiApplication.clipboard().setText(step.command)
        self.said.emit(f"Copied the command: {one_line(step.command, 60)}")
        return True

    def _copy_at(self, index: object) -> None:
        self.steps.setCurrentIndex(index)  # type: ignore[arg-type]
        self.copy_selected_command()

    def _open_link_at(self, index: object) -> None:
        self.steps.setCurrentIndex(index)  # type: ignore[arg-type]
        step = self.steps.current_step()
        if step is not None and step.link:
            open_web_link(step.link, self)
