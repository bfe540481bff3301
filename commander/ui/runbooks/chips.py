"""A word in a rounded box, as the runbook and checklist rows paint it: a step's kind, a Copy button, a
freshness badge, a checklist's source."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPen


def chip(painter: QPainter, rect: QRect, text: str, *, fill: str | None, ink: str, edge: str, radius: int = 7) -> None:
    """`text` centred in `rect`, on `fill` (none: see-through) inside an `edge` line, in `ink`."""
    painter.setPen(QPen(QColor(edge), 1))
    painter.setBrush(QColor(fill) if fill else Qt.BrushStyle.NoBrush)
    painter.drawRoundedRect(rect.adjusted(0, 0, -1, -1), radius, radius)
    painter.setPen(QColor(ink))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextSingleLine, text)
