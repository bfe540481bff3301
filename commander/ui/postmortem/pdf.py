"""The postmortem's files, and the PDF through Qt alone: QTextDocument lays out the document's HTML (the same
HTML as the export and the preview, in which nothing a person typed is markup) and QPdfWriter prints it.
No browser.

The command line calls this too; without a window it makes an offscreen application, which is what
QTextDocument needs for fonts. It is a QApplication, not a QGuiApplication, so that a window made later in the
same process (a test run, an embedding tool) still works.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF
from PySide6.QtGui import QGuiApplication, QPageLayout, QPageSize, QPdfWriter, QTextDocument
from PySide6.QtWidgets import QApplication

from commander.domain.postmortem.document import PostmortemDocument, to_html, to_json, to_markdown

_APP: list[QApplication] = []  # the one made here, kept alive for the process


def export_file(doc: PostmortemDocument, fmt: str, path: Path) -> None:
    """Write the document as md, html, json or pdf; OSError when the file cannot be written."""
    if fmt == "pdf":
        path.write_bytes(pdf_bytes(to_html(doc), doc.heading))
        return
    text = {"md": to_markdown, "html": to_html, "json": to_json}[fmt](doc)
    path.write_text(text, encoding="utf-8")


def pdf_bytes(html: str, title: str) -> bytes:
    """An A4 PDF of `html`, with `title` in its metadata."""
    _ensure_application()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setTitle(title)
    writer.setCreator("Commander")
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(QMarginsF(18, 16, 18, 16), QPageLayout.Unit.Millimeter)
    writer.setResolution(300)
    document = QTextDocument()
    document.setDocumentMargin(0)
    document.setHtml(html)
    document.print_(writer)
    del writer  # the PDF is finished when its writer goes
    buffer.close()
    return bytes(data.data())


def _ensure_application() -> None:
    if QGuiApplication.instance() is None and not _APP:
        _APP.append(QApplication([sys.argv[0] if sys.argv else "commander", "-platform", "offscreen"]))
