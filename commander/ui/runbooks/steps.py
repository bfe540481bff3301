"""A runbook's sections and steps as the library shows them: kind chips, nested sub-steps, each command in
full in monospace with its Copy button, each link to open.

A step's words and a section's prose keep the inline Markdown of their file: they are painted as
formatting (bold, code, links; prose also lists, tables, code blocks) from the safe rich text of
commander.domain.runbooks.inline_markdown, never from the file's own HTML: a step reading `<script>` shows as those
characters. Titles, spoken text and tooltips are the plain words. The same layout code sizes, paints and
hit-tests a row, so a click lands on what was drawn.

As in checklists.delegate: an exception inside paint or sizeHint ends the process on PySide6 6.12, so these
methods keep no Qt object past the call that lent it and read only what the model always sets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QFont,
    QFontMetrics,
    QHelpEvent,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPen,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyle,
    QStyleOptionViewItem,
    QToolTip,
    QTreeView,
    QWidget,
)

from commander.domain.runbooks.code import query_label
from commander.domain.runbooks.inline_markdown import plain
from commander.domain.runbooks.library import Runbook, Step
from commander.ui.kit import richtext
from commander.ui.kit.markdown_view import MarkdownPainter
from commander.ui.kit.paint import Index, RowDelegate, RowFonts, elide
from commander.ui.kit.theme import Tones
from commander.ui.runbooks.chips import chip

ROW = Qt.ItemDataRole.UserRole + 1
SECTION, CONTEXT, STEP = range(3)
COPY = "Copy"
OUTPUT_LINES = 12  # of a command's example output shown under it
_WRAP = int(Qt.TextFlag.TextWordWrap)
_MONO_WRAP = int(Qt.TextFlag.TextWrapAnywhere)  # a long kubectl line has few spaces: break anywhere
_LINE = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextSingleLine


@dataclass(frozen=True)
class Row:
    """One row of the tree: a section's title, its prose, or a step (`level` is how deep it sits)."""

    kind: int
    level: int
    text: str
    step: Step | None = None


def rows_model(runbook: Runbook | None, parent: QObject | None = None) -> QStandardItemModel:
    """The sections of a runbook as items: steps under their section, sub-steps under their step."""
    model = QStandardItemModel(parent)
    if runbook is None:
        return model
    root = model.invisibleRootItem()
    for section in runbook.sections:
        heading = _item(Row(SECTION, 0, section.title))
        root.appendRow(heading)
        if section.context:
            context = _item(Row(CONTEXT, 1, section.context))
            context.setSelectable(False)
            heading.appendRow(context)
        _add_steps(heading, section.steps, 1)
    return model


def _add_steps(parent: QStandardItem, steps: tuple[Step, ...], level: int) -> None:
    for step in steps:
        item = _item(Row(STEP, level, step.text, step))
        parent.appendRow(item)
        _add_steps(item, step.children, level + 1)


def _item(row: Row) -> QStandardItem:
    # The display text is what a screen reader says and what tests read: the step's words, never markup.
    spoken = plain(row.text, block=row.kind == CONTEXT)
    if row.step is not None:
        spoken += f" ({row.step.kind})" if row.step.kind else ""
        spoken += f"; {query_caption(row.step) or 'command'}: {row.step.command}" if row.step.command else ""
        spoken += f"; output: {row.step.output}" if row.step.output else ""
    item = QStandardItem(spoken)
    item.setData(row, ROW)
    item.setEditable(False)
    return item


@dataclass
class Parts:
    height: int
    text: QRect | None = None
    chip: QRect | None = None
    command: QRect | None = None
    copy: QRect | None = None
    link: QRect | None = None
    caption: QRect | None = None  # "PromQL query" over a query's box
    output: QRect | None = None  # what the command shows, under its box


def query_caption(step: Step) -> str:
    """The words over a query's box: a query is pasted into its tool, never run in a shell."""
    return query_label(step.language) if step.command_kind == "query" else ""


def shown_output(output: str) -> str:
    """A command's output as shown: a long log is cut to its first lines (the file has the rest)."""
    lines = output.rstrip("\n").split("\n")
    if len(lines) <= OUTPUT_LINES:
        return "\n".join(lines)
    return "\n".join([*lines[:OUTPUT_LINES], f"… {len(lines) - OUTPUT_LINES} more lines"])


class StepsDelegate(RowDelegate):
    copy_clicked = Signal(QModelIndex)
    link_clicked = Signal(QModelIndex)
    anchor_clicked = Signal(str)  # a link inside a step's words or a section's prose
    bold_scale = 1.05  # a section's title stands a little above its steps

    def __init__(self, view: QTreeView, tones: Callable[[], Tones]) -> None:
        super().__init__(view)
        self.view = view
        self.tones = tones
        self.markdown = MarkdownPainter()
        self._wrapped: dict[tuple[str, int, int, str], int] = {}  # (font, flags, width, text) -> height

    def row(self, index: Index) -> Row | None:
        row = index.data(ROW)
        return row if isinstance(row, Row) else None

    def forget_sizes(self) -> None:
        self._wrapped.clear()
        self.markdown.forget()

    def _colours(self) -> Tones:
        t = self.tones()
        self.markdown.link_colour, self.markdown.code_background = t.accent, t.raised
        return t

    def _height(self, font: QFont, metrics: QFontMetrics, flags: int, width: int, text: str) -> int:
        key = (font.key(), flags, width, text)
        height = self._wrapped.get(key)
        if height is None:
            height = self._wrapped[key] = metrics.boundingRect(QRect(0, 0, width, 1_000_000), flags, text).height()
        return height

    def parts(self, row: Row, fonts: RowFonts, rect: QRect) -> Parts:
        pad = fonts.metrics.horizontalAdvance("x") // 2 + 2
        left, right = rect.left() + pad, rect.right() - pad
        if row.kind == SECTION:
            top = rect.top() + pad * 2
            text = QRect(left, top, right - left, fonts.bold_metrics.height())
            return Parts(height=text.bottom() - rect.top() + pad + 1, text=text)
        if row.kind == CONTEXT:
            width = max(40, right - left)
            height = self.markdown.height(row.text, fonts.base, width, block=True)
            return Parts(height=height + pad * 2, text=QRect(left, rect.top() + pad, width, height))
        step = row.step
        assert step is not None
        y = rect.top() + pad
        line = fonts.metrics.height()
        parts = Parts(height=0)
        text_right = right
        if step.kind:
            width = fonts.small_metrics.horizontalAdvance(step.kind) + 14
            parts.chip = QRect(
                right - width + 1,
                y + (line - fonts.small_metrics.height() - 2) // 2,
                width,
                fonts.small_metrics.height() + 2,
            )
            text_right = parts.chip.left() - pad
        width = max(40, text_right - left)
        parts.text = QRect(left, y, width, max(line, self.markdown.height(step.text, fonts.base, width)))
        y = parts.text.bottom() + 1 + 4
        if step.command and query_caption(step):
            parts.caption = QRect(left, y, right - left, fonts.small_metrics.height())
            y += fonts.small_metrics.height() + 2
        if step.command:
            copy_width = fonts.small_metrics.horizontalAdvance(COPY) + 16
            inner = max(40, right - left - copy_width - 16)
            height = self._height(fonts.mono, fonts.mono_metrics, _MONO_WRAP, inner, step.command) + 8
            parts.command = QRect(left, y, right - left, height)
            parts.copy = QRect(right - copy_width - 3, y + 3, copy_width, fonts.small_metrics.height() + 4)
            y += height + 4
        if step.output:
            inner = max(40, right - left - 12)
            height = self._height(fonts.mono, fonts.mono_metrics, _MONO_WRAP, inner, shown_output(step.output)) + 4
            parts.output = QRect(left, y, right - left, height)
            y += height + 4
        if step.link:
            parts.link = QRect(left, y, right - left, fonts.small_metrics.height())
            y += fonts.small_metrics.height() + 4
        parts.height = y - rect.top() + pad - 4
        return parts

    def row_size(self, option: QStyleOptionViewItem, row: Row, fonts: RowFonts, index: Index) -> QSize:
        # QTreeView asks without a width (QTBUG-11196): the row's width is the viewport's less its indentation.
        width = max(160, self.view.viewport().width() - self.view.indentation() * row.level)
        self._colours()
        return QSize(width, self.parts(row, fonts, QRect(0, 0, width, 0)).height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        row = self.row(index)
        if row is not None and row.kind != STEP:  # a section's title and prose never show as selected
            option = QStyleOptionViewItem(option)
            option.state &= ~QStyle.StateFlag.State_Selected
        super().paint(painter, option, index)

    def paint_row(self, painter: QPainter, rect: QRect, row: Row, fonts: RowFonts, index: Index) -> None:
        t = self._colours()
        parts = self.parts(row, fonts, rect)
        assert parts.text is not None
        if row.kind == SECTION:
            painter.setFont(fonts.bold)
            painter.setPen(t.colour("text"))
            painter.drawText(parts.text, _LINE, elide(fonts.bold_metrics, plain(row.text), parts.text.width()))
            painter.fillRect(QRect(parts.text.left(), rect.bottom(), parts.text.width(), 1), t.colour("border"))
        elif row.kind == CONTEXT:
            self.markdown.paint(painter, parts.text, row.text, fonts.base, t.colour("muted"), block=True)
        else:
            assert row.step is not None
            self._paint_step(painter, row.step, fonts, parts, t)

    def _paint_step(self, painter: QPainter, step: Step, fonts: RowFonts, parts: Parts, t: Tones) -> None:
        assert parts.text is not None
        self.markdown.paint(painter, parts.text, step.text, fonts.base, t.colour("text"))
        if parts.chip is not None:
            painter.setFont(fonts.small)
            chip(painter, parts.chip, step.kind, fill=None, ink=t.muted, edge=t.border)
        if parts.command is not None and parts.copy is not None and step.command:
            painter.setPen(QPen(t.colour("border"), 1))
            painter.setBrush(t.colour("raised"))
            painter.drawRoundedRect(parts.command.adjusted(0, 0, -1, -1), 4, 4)
            painter.setFont(fonts.mono)
            painter.setPen(t.colour("text"))
            inner = QRect(
                parts.command.left() + 6,
                parts.command.top() + 4,
                parts.copy.left() - parts.command.left() - 12,
                parts.command.height() - 8,
            )
            painter.drawText(inner, _MONO_WRAP, step.command)
            painter.setFont(fonts.small)
            chip(painter, parts.copy, COPY, fill=t.surface, ink=t.accent, edge=t.border, radius=3)
        if parts.caption is not None:
            painter.setFont(fonts.small)
            painter.setPen(t.colour("muted"))
            painter.drawText(parts.caption, _LINE, query_caption(step))
        if parts.output is not None and step.output:
            painter.fillRect(
                QRect(parts.output.left(), parts.output.top(), 2, parts.output.height()), t.colour("border")
            )
            painter.setFont(fonts.mono)
            painter.setPen(t.colour("muted"))
            painter.drawText(parts.output.adjusted(10, 2, -2, -2), _MONO_WRAP, shown_output(step.output))
        if parts.link is not None and step.link:
            painter.setFont(fonts.small)
            painter.setPen(t.colour("accent"))
            painter.drawText(
                parts.link,
                _LINE,
                fonts.small_metrics.elidedText("↗ " + step.link, Qt.TextElideMode.ElideMiddle, parts.link.width()),
            )

    def editorEvent(self, event: QEvent, model: object, option: QStyleOptionViewItem, index: Index) -> bool:
        if (
            event.type() not in (QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonPress)
            or not isinstance(event, QMouseEvent)
            or event.button() != Qt.MouseButton.LeftButton
        ):
            return False
        row = index.data(ROW)
        if not isinstance(row, Row) or row.kind == SECTION:
            return False
        fonts = self.fonts(option.font)
        parts = self.parts(row, fonts, option.rect)
        where = event.position().toPoint()
        anchor = self._anchor(row, fonts, parts, where)
        if anchor:
            if event.type() == QEvent.Type.MouseButtonRelease:
                self.anchor_clicked.emit(anchor)
            return True
        if row.step is None:
            return False
        target = None
        if parts.copy is not None and parts.copy.contains(where):
            target = self.copy_clicked
        elif parts.link is not None and row.step.link:
            drawn = fonts.small_metrics.horizontalAdvance("↗ " + row.step.link)
            if QRect(parts.link.left(), parts.link.top(), min(drawn, parts.link.width()), parts.link.height()).contains(
                where
            ):
                target = self.link_clicked
        if target is None:
            return False
        return self.click_part(event, target, index)

    def _anchor(self, row: Row, fonts: RowFonts, parts: Parts, where: QPoint) -> str:
        if parts.text is None:
            return ""
        return self.markdown.anchor_at(parts.text, row.text, fonts.base, where, block=row.kind == CONTEXT)

    def helpEvent(self, event: QHelpEvent, view: QAbstractItemView, option: QStyleOptionViewItem, index: Index) -> bool:
        """A link in a step's words shows its address on hover, as a browser does."""
        row = index.data(ROW)
        if isinstance(row, Row) and row.kind != SECTION and event.type() == QEvent.Type.ToolTip:
            fonts = self.fonts(option.font)
            anchor = self._anchor(row, fonts, self.parts(row, fonts, option.rect), event.pos())
            if anchor:
                QToolTip.showText(event.globalPos(), richtext.tooltip(anchor), view)
                return True
        return super().helpEvent(event, view, option, index)


class StepsView(QTreeView):
    """The steps of the runbook on show; rows measure themselves again when the width changes. Ctrl+C asks
    for the selected step's command (a tree copies a row's display text by itself)."""

    copy_requested = Signal()

    def __init__(self, tones: Callable[[], Tones], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RunbookSteps")
        self.setAccessibleName("Runbook steps")
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setItemsExpandable(False)
        self.setExpandsOnDoubleClick(False)
        self.setIndentation(self.fontMetrics().horizontalAdvance("x") * 3)
        self.setUniformRowHeights(False)
        self.setWordWrap(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.delegate = StepsDelegate(self, tones)
        self.setItemDelegate(self.delegate)
        self._width = 0
        self._relayout = QTimer(self)
        self._relayout.setSingleShot(True)
        self._relayout.setInterval(0)
        self._relayout.timeout.connect(self._fit_rows)
        self.viewport().installEventFilter(self)

    def drawBranches(self, painter: QPainter, rect: QRect, index: Index) -> None:
        """No expand arrows: every step is always shown, nesting is told by indentation."""

    def show_runbook(self, runbook: Runbook | None) -> None:
        old = self.model()
        self.setModel(rows_model(runbook, self))
        if old is not None:
            old.deleteLater()
        self.expandAll()
        self.scrollToTop()

    def current_step(self) -> Step | None:
        row = self.currentIndex().data(ROW)
        return row.step if isinstance(row, Row) else None

    def step_index(self, step_id: str) -> QModelIndex:
        """The row of a step, by its id ("s2.1.3"), for tests and for jumping to a suggestion's step."""
        model = self.model()
        pending = [model.index(row, 0) for row in range(model.rowCount())]
        while pending:
            index = pending.pop()
            row = index.data(ROW)
            if isinstance(row, Row) and row.step is not None and row.step.id == step_id:
                return index
            pending += [model.index(child, 0, index) for child in range(model.rowCount(index))]
        return QModelIndex()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.viewport() and event.type() == QEvent.Type.Resize and self.viewport().width() != self._width:
            self._relayout.start()  # rows wrap to the new width: measure them again, once per burst
        return super().eventFilter(watched, event)

    def _fit_rows(self) -> None:
        self._width = self.viewport().width()
        self.delegate.forget_sizes()
        self.doItemsLayout()
