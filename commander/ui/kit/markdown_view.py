"""Runbook text painted as formatting inside item delegates: bold, italic, code, links, and for a
section's prose lists, tables and code blocks.

The markup comes only from commander.domain.runbooks.inline_markdown.html, which builds every tag itself and
escapes every piece of the runbook: a QTextDocument here never sees a runbook's own HTML (`<img
src="/dev/zero">` in a file is text), and has no image to load (an image is its alt text and address).

Delegates size, paint and hit-test rows from the same laid-out document, so a click lands on the link
that was drawn. Documents are kept per (text, font, width, colours): a long runbook lays out each row once
per width, not once per paint.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF
from PySide6.QtGui import QAbstractTextDocumentLayout, QColor, QFont, QPainter, QPalette, QTextDocument

from commander.domain.runbooks import inline_markdown
from commander.ui.kit.theme import mono_font

_KEEP = 2_000  # laid-out documents kept: a long runbook's rows at one width, with room to spare


class MarkdownPainter:
    """Lays out, measures and paints runbook text given as Markdown (the steps' and prose's own form)."""

    def __init__(self) -> None:
        self._documents: OrderedDict[tuple[str, bool, str, int, str, str], QTextDocument] = OrderedDict()
        self.link_colour = "#4c8dff"
        self.code_background = "#2a2f3a"
        self._sheet: tuple[tuple[str, str], str] = (("", ""), "")  # (colours, the style sheet made for them)

    def forget(self) -> None:
        """After a change of width, font or theme: documents are laid out again."""
        self._documents.clear()

    def document(self, text: str, font: QFont, width: int, *, block: bool = False) -> QTextDocument:
        key = (text, block, font.key(), width, self.link_colour, self.code_background)
        found = self._documents.get(key)
        if found is not None:
            self._documents.move_to_end(key)
            return found
        document = QTextDocument()
        document.setDocumentMargin(0)
        document.setDefaultFont(font)
        document.setUndoRedoEnabled(False)
        # Set before the HTML: Qt applies the default style sheet when it reads the markup.
        document.setDefaultStyleSheet(self._style_sheet())
        document.setHtml(inline_markdown.html(text, block=block))
        document.setTextWidth(max(1, width))
        self._documents[key] = document
        while len(self._documents) > _KEEP:
            self._documents.popitem(last=False)
        return document

    def _style_sheet(self) -> str:
        key = (self.link_colour, self.code_background)
        if self._sheet[0] != key:
            mono = mono_font(0.92).family().replace('"', "")
            self._sheet = (
                key,
                (
                    f"a {{ color: {self.link_colour}; text-decoration: underline; }} "
                    f'code, pre {{ font-family: "{mono}"; background-color: {self.code_background}; }} '
                    f"p {{ margin-top: 0px; margin-bottom: 6px; }} ul, ol {{ margin-top: 0px; margin-bottom: 6px; }} "
                    f"table {{ margin-top: 2px; margin-bottom: 6px; }} pre {{ margin-top: 0px; margin-bottom: 6px; }} "
                    f"blockquote {{ margin-left: 0px; margin-right: 0px; background-color: {self.code_background}; }}"
                ),
            )
        return self._sheet[1]

    def height(self, text: str, font: QFont, width: int, *, block: bool = False) -> int:
        return int(self.document(text, font, width, block=block).size().height() + 0.999)

    def paint(
        self, painter: QPainter, rect: QRect, text: str, font: QFont, colour: QColor | str, *, block: bool = False
    ) -> None:
        document = self.document(text, font, rect.width(), block=block)
        context = QAbstractTextDocumentLayout.PaintContext()
        palette = QPalette(context.palette)
        palette.setColor(QPalette.ColorRole.Text, QColor(colour))
        context.palette = palette
        context.clip = QRectF(0, 0, rect.width(), rect.height())
        painter.save()
        painter.translate(rect.topLeft())
        document.documentLayout().draw(painter, context)
        painter.restore()

    def anchor_at(self, rect: QRect, text: str, font: QFont, where: QPoint, *, block: bool = False) -> str:
        """The address of the link drawn at `where` in a row's text painted at `rect`, or ""."""
        if not rect.contains(where):
            return ""
        document = self.document(text, font, rect.width(), block=block)
        return document.documentLayout().anchorAt(QPointF(where - rect.topLeft()))
