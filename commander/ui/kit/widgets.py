"""Small widgets several panels share: a text box Enter submits, an elided label, a severity badge."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QLayout, QLayoutItem, QPlainTextEdit, QSizePolicy, QWidget

from commander.domain.core.policy import Policy
from commander.ui.kit import linkify, richtext
from commander.ui.kit.theme import severity_colour, text_on


class SubmitTextEdit(QPlainTextEdit):
    """Plain text where Enter submits and Shift+Enter starts a new line (as in chat tools)."""

    submitted = Signal()

    def __init__(self, parent: QWidget | None = None, *, lines: float = 2.2) -> None:
        super().__init__(parent)
        self._lines = lines
        self.setTabChangesFocus(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        metrics = QFontMetrics(self.font())
        margins = self.contentsMargins()
        height = (
            int(metrics.lineSpacing() * self._lines)
            + margins.top()
            + margins.bottom()
            + int(self.document().documentMargin() * 2)
        )
        return QSize(super().sizeHint().width(), height)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            modifiers = event.modifiers()
            if modifiers & Qt.KeyboardModifier.ShiftModifier:
                self.insertPlainText("\n")
                return
            if not modifiers & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
                self.submitted.emit()
                return
        super().keyPressEvent(event)


class ElidedLabel(QLabel):
    """One line that ends in … when it does not fit; the full text is its tooltip."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._full = ""
        self.set_full_text(text)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(linkify.tooltip(text) if text else "")
        self.setAccessibleName(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def minimumSizeHint(self) -> QSize:
        width = QFontMetrics(self.font()).horizontalAdvance("xxxxxxxx…")
        return QSize(width, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:
        return QSize(QFontMetrics(self.font()).horizontalAdvance(self._full) + 4, super().sizeHint().height())

    def _elide(self) -> None:
        metrics = QFontMetrics(self.font())
        super().setText(metrics.elidedText(self._full, Qt.TextElideMode.ElideRight, max(0, self.width())))


class SeverityBadge(QWidget):
    """The severity as its label on its colour: the colour never stands alone."""

    def __init__(self, policy: Policy, parent: QWidget | None = None, *, scale: float = 1.0) -> None:
        super().__init__(parent)
        self.policy = policy
        self._key = ""
        self._scale = scale
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def set_severity(self, key: str) -> None:
        self._key = key
        severity = self.policy.find_severity(key)
        described = f"{key} — {severity.name}: {severity.description}" if severity else key
        self.setToolTip(richtext.tooltip(described))  # the key comes from the log: anyone's words
        self.setAccessibleName(f"Severity {key}")
        self.updateGeometry()
        self.update()

    def severity(self) -> str:
        return self._key

    def sizeHint(self) -> QSize:
        metrics = QFontMetrics(self._font())
        return QSize(metrics.horizontalAdvance(self._key or "SEV0") + metrics.height(), int(metrics.height() * 1.45))

    def _font(self) -> QFont:
        font = self.font()
        if font.pointSizeF() > 0:
            font.setPointSizeF(font.pointSizeF() * self._scale)
        font.setBold(True)
        return font

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self._key:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = severity_colour(self.policy, self._key)
        rect = self.rect().adjusted(0, 0, -1, -1)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        radius = rect.height() / 4
        painter.drawRoundedRect(rect, radius, radius)
        painter.setPen(text_on(colour))
        painter.setFont(self._font())
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self._key)
        painter.end()


class FlowLayout(QLayout):
    """Items left to right, wrapping to the next line when the width runs out (Qt's flow layout
    example): a row of filter chips that fits a narrow window instead of forcing it wider."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 4) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt's name
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802
        return self.minimumSize()

    def minimumSize(self) -> QSize:  # noqa: N802
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _arrange(self, rect: QRect, *, move: bool) -> int:
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        x, y, line = area.x(), area.y(), 0
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > area.right() + 1 and line > 0:
                x, y, line = area.x(), y + line + self._spacing, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            line = max(line, hint.height())
        return y + line - rect.y() + margins.bottom()


class OpeningNotice(QLabel):
    """ "Opening INC-… (50,000 events)…" for a window's first frame: once it has been painted (and only
    while armed), `after_paint` runs on the next turn of the event loop, so the slow work comes after the
    person has seen the window."""

    def __init__(self, parent: QWidget, after_paint: Callable[[], None]) -> None:
        super().__init__(parent)
        self.setObjectName("EmptyState")
        self.setTextFormat(Qt.TextFormat.PlainText)  # it names an incident from the shared store
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._after_paint = after_paint
        self.armed = False

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        super().paintEvent(event)
        if self.armed:
            self.armed = False
            QTimer.singleShot(0, self._after_paint)
