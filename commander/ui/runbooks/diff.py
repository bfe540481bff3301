"""A runbook's versions, and what changed between any two: a unified diff of their Markdown
(commander.app.runbooks.library.diff), added lines green, removed lines red, the rest as it was.

The diff is plain text in a read-only editor; colour comes from a highlighter, never from markup, so a
runbook line reading `<b>` shows as written.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, tzinfo

from PySide6.QtGui import QColor, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from commander.app.runbooks import library as runbooks
from commander.domain.runbooks.library import Runbook, RunbookRecord
from commander.ui.kit.dialogs import plain_label
from commander.ui.kit.theme import Tones, mono_font


def saved_at(version: Runbook) -> datetime | None:
    """When a version was saved: its id is the runbook.saved event's, a UUIDv7 that carries the time."""
    try:
        value = uuid.UUID(version.version_id)
    except ValueError:
        return None
    return datetime.fromtimestamp((value.int >> 80) / 1000, UTC) if value.version == 7 else None


def version_label(version: Runbook, zone: tzinfo) -> str:
    when = saved_at(version)
    steps = len(version.all_steps())
    return (
        f"Version {version.version}"
        + (f", saved {when.astimezone(zone):%d %b %Y %H:%M}" if when else "")
        + f" · {steps} step{'s' if steps != 1 else ''}"
    )


class DiffHighlighter(QSyntaxHighlighter):
    """Colours a unified diff by the first character of each line."""

    def __init__(self, document: QTextDocument, tones: Tones) -> None:
        super().__init__(document)
        self.set_tones(tones)

    def set_tones(self, t: Tones) -> None:
        dark = t.name == "dark"
        self.added, self.removed, self.hunk = QTextCharFormat(), QTextCharFormat(), QTextCharFormat()
        self.added.setBackground(QColor("#12361f" if dark else "#dcf5e3"))
        self.added.setForeground(QColor("#8fe0a6" if dark else "#0f5323"))
        self.removed.setBackground(QColor("#45191a" if dark else "#fde2e1"))
        self.removed.setForeground(QColor("#ffaba5" if dark else "#8e1b14"))
        self.hunk.setForeground(QColor(t.faint))
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        if text.startswith(("+++", "---")) or text.startswith("@@"):
            self.setFormat(0, len(text), self.hunk)
        elif text.startswith("+"):
            self.setFormat(0, len(text), self.added)
        elif text.startswith("-"):
            self.setFormat(0, len(text), self.removed)


class VersionsDialog(QDialog):
    def __init__(self, record: RunbookRecord, zone: tzinfo, tones: Tones, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.record = record
        self.setWindowTitle(f"Versions of “{record.current.title}”")
        self.older, self.newer = QComboBox(self), QComboBox(self)
        for combo, name in ((self.older, "Older version"), (self.newer, "Newer version")):
            combo.setAccessibleName(name)
            for version in record.versions:
                combo.addItem(version_label(version, zone), version.version)
        count = len(record.versions)
        self.older.setCurrentIndex(max(0, count - 2))
        self.newer.setCurrentIndex(count - 1)
        self.older.currentIndexChanged.connect(self.show_diff)
        self.newer.currentIndexChanged.connect(self.show_diff)
        self.summary = plain_label("", self, name="Muted")
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setFont(mono_font(0.95))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setAccessibleName("What changed")
        self.highlighter = DiffHighlighter(self.text.document(), tones)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("From", self))
        pick.addWidget(self.older, 1)
        pick.addWidget(QLabel("to", self))
        pick.addWidget(self.newer, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(pick)
        layout.addWidget(self.summary)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        em = self.fontMetrics().horizontalAdvance("x")
        self.resize(em * 110, self.fontMetrics().height() * 34)
        self.show_diff()

    def pick(self, older: int, newer: int) -> None:
        """Compare two versions by number (1 is the first)."""
        self.older.setCurrentIndex(older - 1)
        self.newer.setCurrentIndex(newer - 1)

    def show_diff(self) -> None:
        a, b = self.older.currentData(), self.newer.currentData()
        if a == b:
            self.summary.setText(f"Version {a} on both sides: pick two different versions to see what changed.")
            self.text.setPlainText("")
            return
        lines = runbooks.diff(self.record.version(a), self.record.version(b))
        added = sum(1 for line in lines if line.startswith("+") and not line.startswith("+++"))
        removed = sum(1 for line in lines if line.startswith("-") and not line.startswith("---"))
        self.summary.setText(
            f"From version {a} to version {b}: {added} line{'s' if added != 1 else ''} added, {removed} removed."
            if lines
            else f"Versions {a} and {b} read the same in Markdown (a step's kind or a field Markdown "
            f"does not show may differ)."
        )
        self.text.setPlainText("\n".join(lines))
