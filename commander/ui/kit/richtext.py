"""Outside text (a peer's rows, alerts, runbook files, templates) is shown as text, never as markup.

Qt decides that a string is rich text when `Qt::mightBeRichText` says so: every tooltip and What's This,
and every QLabel or QMessageBox left on Qt.AutoText. Rich text is a hazard, not only a looks problem:
`<img src="/dev/zero">` makes Qt read that file until the process dies, and a hover is enough. (Status
tips, item texts and status bar messages are drawn as plain text: they stay as they are.) So:

- a label that never needs markup is put on Qt.PlainText (`plain`);
- a tooltip always goes through `tooltip`, which makes it rich text on purpose, every character escaped
  (a plain tooltip cannot be forced any other way: Qt guesses from the first line);
- where markup is wanted (bold parts, a link), each outside piece is `escape`d into it.
"""

from __future__ import annotations

import html
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

# A tooltip is a glance, not a document: past this many characters it is cut (a 100 kB alert annotation
# would otherwise cover the screen and take seconds to lay out on every hover).
TOOLTIP_MAX = 2_000

Shown = TypeVar("Shown", QLabel, QMessageBox)


def escape(text: str) -> str:
    """`text` as rich text that reads as written: `<`, `>`, `&` and quotes escaped, line breaks kept."""
    return html.escape(text).replace("\n", "<br>")


def tooltip(text: str, *, limit: int = TOOLTIP_MAX) -> str:
    """A tooltip that shows `text` as typed (empty stays empty: no tooltip)."""
    if not text:
        return ""
    if len(text) > limit:
        text = text[:limit] + "…"
    return "<qt>" + escape(text) + "</qt>"


def notification(text: str) -> str:
    """The body of a desktop notification. Qt's own balloon (a desktop without a notification service) shows
    it in a QLabel that guesses, and notification services that take body markup read `<img src=...>` too
    (Desktop Notifications Specification, "Markup": https://specifications.freedesktop.org/notification-spec/
    latest/): both show entities as the characters they stand for."""
    return html.escape(text, quote=False)


def rich_tooltip(markup: str) -> str:
    """A tooltip made of markup whose outside pieces the caller escaped: marked as rich text whatever its
    first line looks like."""
    return f"<qt>{markup}</qt>" if markup else ""


def mnemonic(text: str) -> str:
    """Text for a button, tab or menu item, which take `&` for the mark of a shortcut key: `&amp;` would
    show as `amp;` with the `a` underlined."""
    return text.replace("&", "&&")


def ask(parent: QWidget | None, title: str, text: str) -> bool:
    """QMessageBox.question on plain text (the static one guesses, and the text names outside things)."""
    box = QMessageBox(
        QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent
    )
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.exec()
    return box.standardButton(box.clickedButton()) == QMessageBox.StandardButton.Yes


def plain(widget: Shown) -> Shown:
    """Put a label or message box on plain text: whatever it is given later shows as written."""
    widget.setTextFormat(Qt.TextFormat.PlainText)
    return widget
