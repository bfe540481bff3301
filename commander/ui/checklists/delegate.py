"""Paints the checklist rows and knows where their parts are: the tick box, the command with its Copy
button, the link, who did what, and the findings.

Rows are as tall as their content: a wrapped step, a command, a finding each add a line. The same layout
code sizes, paints and hit-tests a row, so a click lands on what was drawn. A step's words keep their
runbook's inline Markdown and are painted as formatting (bold, code, links) from the safe rich text of
commander.domain.runbooks.inline_markdown, which makes every tag itself: a step reading `<b>` shows as those
characters. Everything else (titles as plain words, who, findings) is drawn with QPainter.drawText, which
never interprets markup.

Careful here: an exception raised inside paint or sizeHint ends the process on PySide6 6.12 (shiboken
crashes while storing the error, in Shiboken::Errors::storePythonOverrideErrorOrPrint), so these methods
keep no Qt object past the call that lent it (a style option's font is copied) and read only what the fold
always sets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from PySide6.QtCore import QEvent, QModelIndex, QPoint, QPointF, QRect, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QHelpEvent, QMouseEvent, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QAbstractItemView, QStyleOptionViewItem, QToolTip, QTreeView, QWidget

from commander.domain.checklists.state import ChecklistStep
from commander.domain.runbooks.code import query_label
from commander.domain.runbooks.inline_markdown import plain
from commander.ui.checklists.model import CHECKLIST, SECTION, ChecklistModel, Node
from commander.ui.kit import richtext
from commander.ui.kit.markdown_view import MarkdownPainter
from commander.ui.kit.paint import Index, RowDelegate, RowFonts, elide
from commander.ui.kit.theme import DARK, Tones
from commander.ui.runbooks.chips import chip

_WRAP = int(Qt.TextFlag.TextWordWrap)
_LINE = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextSingleLine
COPY = "Copy"
BOX = 14  # the tick box, in logical pixels


@dataclass
class Parts:
    """Where each part of a row sits (absolute coordinates), and how tall the row is."""

    height: int
    box: QRect | None = None
    text: QRect | None = None
    badge: QRect | None = None
    command: QRect | None = None
    copy: QRect | None = None
    link: QRect | None = None
    meta: QRect | None = None
    reason: QRect | None = None
    findings: list[QRect] = field(default_factory=list)
    progress: QRect | None = None


class ChecklistDelegate(RowDelegate):
    toggle_clicked = Signal(QModelIndex)
    copy_clicked = Signal(QModelIndex)
    link_clicked = Signal(QModelIndex)
    anchor_clicked = Signal(str)  # a link inside a step's words

    def __init__(self, view: QTreeView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.markdown = MarkdownPainter()
        self.tones: Tones = DARK
        self.zone: tzinfo = UTC
        self._wrapped: dict[tuple[str, int, str], int] = {}  # (font, width, text) -> height
        self._tick_widths: dict[str, int] = {}  # by font: "✓ 00:00", the least a step's side column holds

    def tick_width(self, fonts: RowFonts) -> int:
        key = fonts.base.key()
        width = self._tick_widths.get(key)
        if width is None:
            width = self._tick_widths[key] = fonts.small_metrics.horizontalAdvance("✓ 00:00") + 12
        return width

    def row(self, index: Index) -> Node | None:
        node = index.data(ChecklistModel.NodeRole)
        return node if isinstance(node, Node) else None

    def forget_sizes(self) -> None:
        """After a change of width or font: rows measure themselves again."""
        self._wrapped.clear()
        self.markdown.forget()

    def _colours(self) -> Tones:
        t = self.tones
        self.markdown.link_colour, self.markdown.code_background = t.accent, t.raised
        return t

    # -- layout ------------------------------------------------------------------------------------

    def parts(self, node: Node, fonts: RowFonts, rect: QRect) -> Parts:
        pad = fonts.metrics.horizontalAdvance("x") // 2 + 2
        line = fonts.metrics.height()
        if node.kind == CHECKLIST:
            return self._checklist_parts(fonts, rect, pad)
        if node.kind == SECTION:
            return Parts(height=fonts.small_metrics.height() + pad * 2 + 2)
        step = node.step
        assert step is not None
        y = rect.top() + pad
        box = QRect(rect.left() + pad, y + (line - BOX) // 2, BOX, BOX)
        left = box.right() + pad + 2
        right = rect.right() - pad - 2
        # The side column's width depends on the step's kind, never on its state, so ticking a step never
        # rewraps its words: the row keeps its height and a tick repaints two rows (the step, its checklist's
        # progress), not every row below it.
        side = max(self.tick_width(fonts), fonts.small_metrics.horizontalAdvance(step.kind) + 12)
        badge = QRect(
            right - side + 1, y + (line - fonts.small_metrics.height() - 2) // 2, side, fonts.small_metrics.height() + 2
        )
        text_right = badge.left() - pad
        self._colours()
        text_height = max(line, self.markdown.height(step.text, _step_font(step, fonts), max(20, text_right - left)))
        text = QRect(left, y, max(20, text_right - left), text_height)
        parts = Parts(height=0, box=box, text=text, badge=badge)
        y = text.bottom() + 1 + 3
        if step.command:
            copy_width = fonts.small_metrics.horizontalAdvance(COPY) + 14
            height = fonts.mono_metrics.height() + 4
            parts.copy = QRect(right - copy_width + 1, y, copy_width, height)
            parts.command = QRect(left, y, max(20, parts.copy.left() - 4 - left), height)
            y += height + 3
        if step.link:
            parts.link = QRect(left, y, right - left, fonts.small_metrics.height())
            y += fonts.small_metrics.height() + 3
        if step.assigned:
            parts.meta = QRect(left, y, right - left, fonts.small_metrics.height() + 2)
            y += fonts.small_metrics.height() + 5
        if step.state == "skipped":
            words = _skipped(step, self.zone)
            parts.reason = QRect(
                left, y, right - left, self._height(fonts.small, fonts.small_metrics, right - left, words)
            )
            y += parts.reason.height() + 3
        for finding in step.findings:
            words = self._finding_text(finding.by, finding.at, finding.text)
            height = self._height(fonts.small, fonts.small_metrics, max(20, right - left - 8), words)
            parts.findings.append(QRect(left + 8, y, max(20, right - left - 8), height))
            y += height + 3
        parts.height = y - rect.top() + pad - 3
        return parts

    def _checklist_parts(self, fonts: RowFonts, rect: QRect, pad: int) -> Parts:
        y = rect.top() + pad + 2
        title = QRect(rect.left() + pad, y, rect.width() - 2 * pad - 2, fonts.bold_metrics.height())
        progress = QRect(rect.left() + pad, title.bottom() + 6, title.width(), fonts.small_metrics.height())
        return Parts(height=progress.bottom() - rect.top() + pad + 4, text=title, progress=progress)

    def _height(self, font: QFont, metrics: QFontMetrics, width: int, text: str) -> int:
        key = (font.key(), width, text)
        height = self._wrapped.get(key)
        if height is None:
            height = self._wrapped[key] = metrics.boundingRect(QRect(0, 0, width, 100_000), _WRAP, text).height()
        return height

    def _finding_text(self, by: str, at: datetime, text: str) -> str:
        return f"{by} {at.astimezone(self.zone):%H:%M} — {text}"

    def row_size(self, option: QStyleOptionViewItem, node: Node, fonts: RowFonts, index: Index) -> QSize:
        # QTreeView asks without a width (QTBUG-11196: option.rect has width -1): the row's width is the
        # viewport's less the indentation of the row's level.
        indent = self.view.indentation() * (node.level + (1 if self.view.rootIsDecorated() else 0))
        width = max(120, self.view.viewport().width() - indent)
        return QSize(width, self.parts(node, fonts, QRect(0, 0, width, 0)).height)

    # -- painting ----------------------------------------------------------------------------------

    def paint_row(self, painter: QPainter, rect: QRect, node: Node, fonts: RowFonts, index: Index) -> None:
        parts = self.parts(node, fonts, rect)
        if node.kind == CHECKLIST:
            model = index.model()
            badges = model.badges.get(node.checklist.id, []) if isinstance(model, ChecklistModel) else []
            self._paint_checklist(painter, node, [word for word, _sentence in badges], fonts, parts)
        elif node.kind == SECTION:
            self._paint_section(painter, node, fonts, rect)
        else:
            assert node.step is not None
            self._paint_step(painter, node.step, fonts, parts)

    def _paint_checklist(self, painter: QPainter, node: Node, badges: list[str], fonts: RowFonts, parts: Parts) -> None:
        t = self.tones
        checklist = node.checklist
        assert parts.text is not None and parts.progress is not None
        words = [checklist.source, *badges]
        x = parts.text.right() + 1
        painter.setFont(fonts.small)
        for word in reversed(words):
            width = fonts.small_metrics.horizontalAdvance(word) + 10
            x -= width
            warn = word.startswith(("stale", "retired"))
            chip(
                painter,
                QRect(x, parts.text.top() + 1, width, parts.text.height() - 2),
                word,
                fill=t.warning_bg if warn else None,
                ink=t.warning if warn else t.muted,
                edge=t.warning if warn else t.border,
            )
            x -= 4
        painter.setFont(fonts.bold)
        painter.setPen(t.colour("text"))
        room = QRect(parts.text.left(), parts.text.top(), max(0, x - parts.text.left()), parts.text.height())
        painter.drawText(
            room,
            _LINE,
            elide(fonts.bold_metrics, plain(checklist.title), room.width()),
        )
        done, total = checklist.progress
        label = f"{done} of {total}" + (" — all done" if total and done == total else "")
        painter.setFont(fonts.small)
        label_width = fonts.small_metrics.horizontalAdvance(label) + 8
        bar = QRect(parts.progress.left(), parts.progress.center().y() - 3, parts.progress.width() - label_width, 6)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(t.colour("raised"))
        painter.drawRoundedRect(bar, 3, 3)
        if total and done:
            painter.setBrush(t.colour("cat_role") if done == total else t.colour("accent"))
            painter.drawRoundedRect(
                QRect(bar.left(), bar.top(), max(6, bar.width() * done // total), bar.height()), 3, 3
            )
        painter.setPen(t.colour("muted"))
        painter.drawText(
            QRect(bar.right() + 8, parts.progress.top(), label_width, parts.progress.height()), _LINE, label
        )

    def _paint_section(self, painter: QPainter, node: Node, fonts: RowFonts, rect: QRect) -> None:
        painter.setFont(fonts.small)
        painter.setPen(self.tones.colour("faint"))
        pad = fonts.metrics.horizontalAdvance("x") // 2 + 2
        painter.drawText(
            rect.adjusted(pad, 2, -pad, 0),
            _LINE,
            elide(fonts.small_metrics, plain(node.section).upper(), rect.width() - 2 * pad),
        )

    def _paint_step(self, painter: QPainter, step: ChecklistStep, fonts: RowFonts, parts: Parts) -> None:
        t = self._colours()
        assert parts.box is not None and parts.text is not None
        self._tick_box(painter, parts.box, step.state)
        self.markdown.paint(
            painter,
            parts.text,
            step.text,
            _step_font(step, fonts),
            t.colour("text" if step.state == "open" else "muted" if step.state == "done" else "faint"),
        )
        if parts.badge is not None:
            painter.setFont(fonts.small)
            if step.state == "done":
                painter.setPen(t.colour("muted"))
                when = f"✓ {step.at.astimezone(self.zone):%H:%M}" if step.at else "✓"
                said = f"{when} {step.by or ''}"  # with who, when it fits; the tooltip always says
                if fonts.small_metrics.horizontalAdvance(said) > parts.badge.width():
                    said = when
                painter.drawText(parts.badge, _LINE | Qt.AlignmentFlag.AlignRight, said)
            elif step.state == "skipped":
                chip(painter, parts.badge, "skipped", fill=None, ink=t.faint, edge=t.border)
            elif step.kind:
                chip(painter, parts.badge, step.kind, fill=None, ink=t.muted, edge=t.border)
        if parts.command is not None and parts.copy is not None and step.command:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(t.colour("raised"))
            painter.drawRoundedRect(parts.command, 3, 3)
            painter.setFont(fonts.mono)
            painter.setPen(t.colour("text"))
            inner = parts.command.adjusted(5, 0, -5, 0)
            if step.query:  # a query goes into its tool, not a shell: say which, before its text
                caption = query_label(step.query) + " ›"
                painter.setPen(t.colour("muted"))
                painter.drawText(inner, _LINE, caption)
                inner.setLeft(inner.left() + fonts.mono_metrics.horizontalAdvance(caption + " "))
                painter.setPen(t.colour("text"))
            first = step.command.splitlines()[0] + (" …" if "\n" in step.command else "")
            painter.drawText(inner, _LINE, elide(fonts.mono_metrics, first, inner.width()))
            painter.setFont(fonts.small)
            chip(painter, parts.copy, COPY, fill=t.surface, ink=t.accent, edge=t.border, radius=3)
        if parts.link is not None and step.link:
            painter.setFont(fonts.small)
            painter.setPen(t.colour("accent"))
            painter.drawText(
                parts.link,
                _LINE,
                fonts.small_metrics.elidedText("↗ " + step.link, Qt.TextElideMode.ElideMiddle, parts.link.width()),
            )
        if parts.meta is not None:
            painter.setFont(fonts.small)
            label = f"→ {step.assigned}"
            width = min(parts.meta.width(), fonts.small_metrics.horizontalAdvance(label) + 12)
            chip(
                painter,
                QRect(parts.meta.left(), parts.meta.top(), width, parts.meta.height()),
                elide(fonts.small_metrics, label, width - 12),
                fill=t.selection,
                ink=t.text,
                edge=t.selection,
            )
        if parts.reason is not None:
            painter.setFont(fonts.small)
            painter.setPen(t.colour("muted"))
            painter.drawText(parts.reason, _WRAP, _skipped(step, self.zone))
        painter.setFont(fonts.small)
        for finding, rect in zip(step.findings, parts.findings, strict=True):
            painter.fillRect(QRect(rect.left() - 8, rect.top() + 2, 2, rect.height() - 4), t.colour("cat_checklist"))
            painter.setPen(t.colour("muted"))
            painter.drawText(rect, _WRAP, self._finding_text(finding.by, finding.at, finding.text))

    def _tick_box(self, painter: QPainter, box: QRect, state: str) -> None:
        t = self.tones
        if state == "done":
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(t.colour("accent"))
            painter.drawRoundedRect(box, 3, 3)
            tick = QPainterPath(QPointF(box.left() + 3.5, box.top() + 7.5))
            tick.lineTo(box.left() + 6, box.top() + 10)
            tick.lineTo(box.left() + 10.5, box.top() + 4)
            pen = QPen(t.colour("accent_text"), 2)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(tick)
            return
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(t.colour("faint" if state == "skipped" else "muted"), 1.2))
        painter.drawRoundedRect(box.adjusted(0, 0, -1, -1), 3, 3)
        if state == "skipped":
            painter.setPen(QPen(t.colour("muted"), 2))
            painter.drawLine(QPoint(box.left() + 4, box.center().y()), QPoint(box.right() - 4, box.center().y()))

    # -- clicks ------------------------------------------------------------------------------------

    def editorEvent(self, event: QEvent, model: object, option: QStyleOptionViewItem, index: Index) -> bool:
        if (
            event.type() not in (QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonPress)
            or not isinstance(event, QMouseEvent)
            or event.button() != Qt.MouseButton.LeftButton
        ):
            return False
        node = index.data(ChecklistModel.NodeRole)
        if not isinstance(node, Node) or node.step is None:
            return False
        fonts = self.fonts(option.font)
        parts = self.parts(node, fonts, option.rect)
        where = event.position().toPoint()
        target = None
        assert parts.box is not None and parts.text is not None
        anchor = self.markdown.anchor_at(parts.text, node.step.text, _step_font(node.step, fonts), where)
        if anchor:
            if event.type() == QEvent.Type.MouseButtonRelease:
                self.anchor_clicked.emit(anchor)
            return True
        if parts.box.adjusted(-4, -4, 4, 4).contains(where):
            target = self.toggle_clicked
        elif parts.copy is not None and parts.copy.contains(where):
            target = self.copy_clicked
        elif parts.link is not None and self._link_area(node.step, option.font, parts.link).contains(where):
            target = self.link_clicked
        if target is None:
            return False
        return self.click_part(event, target, index)

    def helpEvent(self, event: QHelpEvent, view: QAbstractItemView, option: QStyleOptionViewItem, index: Index) -> bool:
        """A link in a step's words shows its address on hover; elsewhere the row's own tooltip."""
        node = index.data(ChecklistModel.NodeRole)
        if isinstance(node, Node) and node.step is not None and event.type() == QEvent.Type.ToolTip:
            fonts = self.fonts(option.font)
            parts = self.parts(node, fonts, option.rect)
            anchor = (
                ""
                if parts.text is None
                else self.markdown.anchor_at(parts.text, node.step.text, _step_font(node.step, fonts), event.pos())
            )
            if anchor:
                QToolTip.showText(event.globalPos(), richtext.tooltip(anchor), view)
                return True
        return super().helpEvent(event, view, option, index)

    def _link_area(self, step: ChecklistStep, font: QFont, line: QRect) -> QRect:
        """The drawn link's own width: a click in the empty rest of its line is a click on the row."""
        width = self.fonts(font).small_metrics.horizontalAdvance("↗ " + (step.link or ""))
        return QRect(line.left(), line.top(), min(width, line.width()), line.height())


def _step_font(step: ChecklistStep, fonts: RowFonts) -> QFont:
    return fonts.struck if step.state == "skipped" else fonts.base


def _skipped(step: ChecklistStep, zone: tzinfo) -> str:
    when = f" at {step.at.astimezone(zone):%H:%M}" if step.at else ""
    return f"Skipped by {step.by}{when}: {step.reason}"
