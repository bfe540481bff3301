"""The postmortem editor: sections on the left, the one being written in the middle, the whole document as it
will read on the right, updated as you type.

Sections are saved on their own (when you pause, switch section, press Ctrl+S or close), each edit naming the
text it started from, so people writing different sections never overwrite each other. When someone else
changes the section you are typing in, a banner says so; saving then keeps both versions, and the conflict
banner offers to use theirs, add theirs below yours, or keep yours. Words that may read as blame are
underlined with a suggestion; nothing blocks saving or publishing.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from commander.app import postmortem
from commander.app.console import Console
from commander.domain.core.events import Event
from commander.domain.postmortem import blameless
from commander.domain.postmortem import record as pm_domain
from commander.domain.postmortem.document import STYLE, document, to_html
from commander.domain.postmortem.record import Conflict, Postmortem, action_lines, spec
from commander.ui.kit import richtext
from commander.ui.kit.bridge import ConsoleBridge
from commander.ui.kit.dialogs import plain_label
from commander.ui.kit.problems import ErrorLabel, attempt, show_problem
from commander.ui.kit.theme import DARK, Tones
from commander.ui.postmortem.conflict import ConflictBanner
from commander.ui.postmortem.marks import (
    BadgeRole,
    BlamelessHighlighter,
    DetailRole,
    FindingsRole,
    SectionDelegate,
    SuggestionTips,
    findings_at,
)
from commander.ui.postmortem.meta import MetaFields

PREVIEW_DELAY_MS = 150
SAVE_DELAY_MS = 2500  # a pause in typing this long saves the section
KeyRole = Qt.ItemDataRole.UserRole
# The export's look, at the size of the window's own text (the export's 11pt reads large on screen).
PREVIEW_STYLE = STYLE.replace("font-size: 11pt", "font-size: 9.5pt").replace("font-size: 20pt", "font-size: 16pt")
EXPORTS = (("md", "Markdown"), ("html", "HTML"), ("pdf", "PDF"), ("json", "JSON"))


class PostmortemEditor(QWidget):
    def __init__(
        self,
        console: Console,
        incident_id: str,
        bridge: ConsoleBridge | None = None,
        parent: QWidget | None = None,
        *,
        tones: Tones = DARK,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.console, self.incident_id = console, incident_id
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.tones = tones
        self.state = console.state(incident_id)
        self.people = list(dict.fromkeys([*self.state.people(), console.me.name]))
        self.pm: Postmortem = postmortem.current(console, incident_id)
        self.texts: dict[str, str] = {}  # what the editor holds for each section, saved or not
        self.loaded: dict[str, str] = {}  # the stored text each buffer started from
        self.bases: dict[str, str] = {}  # the event that text came from: an edit names it as its base
        self.changed_elsewhere: dict[str, str] = {}  # section -> who changed it while it had unsaved typing here
        self.resolving: dict[str, set[str]] = {}  # conflicts settled by the next save of the section
        self.key = pm_domain.SECTION_KEYS[0]
        self._checked: dict[str, tuple[str, list[blameless.Finding]]] = {}
        self._summary = ""  # how many findings the section has, shown when the cursor is on none
        self._loading = False  # the editor's text is being set, not typed
        self.setWindowTitle(f"Postmortem: {self.state.reference} {self.state.title}[*]")

        self._build()
        self._load_all()
        self._fill_meta()
        self._refresh_list()
        self.sections.setCurrentRow(0)
        if bridge is not None:
            bridge.events_appended.connect(self._events_appended)
        if parent is not None:  # closing the main window closes this one too (saving it), so nothing lingers
            parent.installEventFilter(self)
        self.editor.setFocus()

    # -- building --------------------------------------------------------------------------------------

    def _build(self) -> None:
        em = self.fontMetrics().horizontalAdvance("x")
        top = self._top_row(em)
        self.reminder = plain_label("", self, name="KeyRoleBanner")
        self.reminder.hide()
        self.sections = QListWidget(self)
        self.sections.setAccessibleName("Sections")
        self.sections.setItemDelegate(SectionDelegate(self.tones, self.sections))
        self.sections.setUniformItemSizes(True)
        for section in pm_domain.SECTIONS:
            item = QListWidgetItem(section.title, self.sections)
            item.setData(KeyRole, section.key)
        self.sections.currentItemChanged.connect(self._chosen)
        self.preview = QTextBrowser(self)
        self.preview.setOpenLinks(False)
        self.preview.setAccessibleName("Preview of the whole postmortem")
        self.preview.setStyleSheet(
            "QTextBrowser { background: #ffffff; color: #1b1f26; border: 1px solid "
            f"{self.tones.border}; border-radius: 4px; padding: 12px 18px; }}"
        )
        self.saved_label = plain_label("", self, name="Faint")
        self.save_button = self._button("&Save", self.save_all, self)
        self.save_button.setToolTip("Save every changed section for everyone sharing the store (Ctrl+S)")
        close = self._button("Close", self.close, self)
        self._timers_and_keys()

        panes = QSplitter(Qt.Orientation.Horizontal, self)
        panes.addWidget(self._pane("Se&ctions", self.sections, right=em))
        panes.addWidget(self._centre(em))
        panes.addWidget(self._pane("&Preview", self.preview, left=em))
        panes.setChildrenCollapsible(False)
        panes.setStretchFactor(1, 1)
        panes.setStretchFactor(2, 1)
        panes.setSizes([em * 36, em * 80, em * 74])
        bottom = QHBoxLayout()
        bottom.addWidget(self.saved_label, 1)
        bottom.addWidget(self.save_button)
        bottom.addWidget(close)
        outer = QVBoxLayout(self)
        outer.addLayout(top)
        outer.addWidget(self.reminder)
        outer.addWidget(self.meta.error)
        outer.addWidget(panes, 1)
        outer.addLayout(bottom)
        room = self.screen().availableGeometry()
        self.resize(min(em * 200, room.width() * 9 // 10), min(em * 110, room.height() * 9 // 10))

    def _top_row(self, em: int) -> QHBoxLayout:
        """The incident's reference and title, the postmortem's owner, meeting and status, and Export."""
        kicker = plain_label("POSTMORTEM", self, name="PanelTitle")
        heading = plain_label(f"{self.state.reference}  {self.state.title}", self)
        big = heading.font()
        if big.pointSizeF() > 0:
            big.setPointSizeF(big.pointSizeF() * 1.35)
        big.setBold(True)
        heading.setFont(big)
        self.meta = MetaFields(self.console, self.incident_id, self.people, self.pm, self)
        self.meta.changed.connect(self._meta_changed)
        self.export_button = QToolButton(self)
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        for fmt, label in EXPORTS:
            menu.addAction(f"{label} (.{fmt})…", partial(self.export, fmt))
        self.export_button.setMenu(menu)
        top = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(kicker)
        titles.addWidget(heading)
        top.addLayout(titles, 1)
        top.addWidget(self.meta)
        top.addWidget(self.export_button)
        return top

    def _centre(self, em: int) -> QWidget:
        """The section being written: its title and hint, the banners, the text, its items and wording."""
        self.section_title = plain_label("", self)
        title_font = self.section_title.font()
        title_font.setBold(True)
        if title_font.pointSizeF() > 0:
            title_font.setPointSizeF(title_font.pointSizeF() * 1.15)
        self.section_title.setFont(title_font)
        self.hint = plain_label("", self, name="Muted")
        self.elsewhere = plain_label("", self, name="KeyRoleBanner")
        self.elsewhere.hide()
        self.conflict = ConflictBanner(self)
        self.conflict.settled.connect(self._settle)
        self.editor = QPlainTextEdit(self)
        self.editor.setAccessibleName("Section text (Markdown)")
        self.editor.setTabChangesFocus(True)
        self.editor.textChanged.connect(self._typed)
        self.editor.cursorPositionChanged.connect(self._cursor_moved)
        self.highlighter = BlamelessHighlighter(self.editor, self.tones, lambda: self.people)
        self.tips = SuggestionTips(self.editor, lambda: self.people)
        self.wording = plain_label("", self, name="Muted")
        self.save_error = ErrorLabel(self)
        self.items_row = QWidget(self)
        items_layout = QHBoxLayout(self.items_row)
        items_layout.setContentsMargins(0, 0, 0, 0)
        self.items_label = plain_label("", self.items_row, name="Muted")
        self.track = self._button("Track this item  (Ctrl+Enter)", self.track_item, self.items_row)
        self.track.setToolTip("Create a tracked action item from the line the cursor is on")
        items_layout.addWidget(self.items_label, 1)
        items_layout.addWidget(self.track)
        parts: tuple[tuple[QWidget, int], ...] = (
            (self.section_title, 0),
            (self.hint, 0),
            (self.elsewhere, 0),
            (self.conflict, 0),
            (self.editor, 1),
            (self.items_row, 0),
            (self.wording, 0),
            (self.save_error, 0),
        )
        centre = QWidget(self)
        layout = QVBoxLayout(centre)
        layout.setContentsMargins(em, 0, em, 0)
        for part, stretch in parts:
            layout.addWidget(part, stretch)
        return centre

    def _pane(self, caption: str, body: QWidget, *, left: int = 0, right: int = 0) -> QWidget:
        """A side pane: its caption (a buddy, so its mnemonic takes the focus there) over `body`."""
        pane = QWidget(self)
        layout = QVBoxLayout(pane)
        layout.setContentsMargins(left, 0, right, 0)
        label = QLabel(caption, pane)
        label.setObjectName("PanelTitle")
        label.setBuddy(body)
        layout.addWidget(label)
        layout.addWidget(body, 1)
        return pane

    def _timers_and_keys(self) -> None:
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self._typing_paused)
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DELAY_MS)
        self._save_timer.timeout.connect(lambda: self.save(self.key))
        QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self, self.save_all)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.track_item)
        QShortcut(QKeySequence("Ctrl+PgDown"), self, lambda: self._step(1))
        QShortcut(QKeySequence("Ctrl+PgUp"), self, lambda: self._step(-1))
        QShortcut(QKeySequence(QKeySequence.StandardKey.Close), self, self.close)

    def _button(self, text: str, slot: object, parent: QWidget) -> QPushButton:
        button = QPushButton(text, parent)
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        return button

    # -- the postmortem as stored ------------------------------------------------------------------------

    def _load_all(self) -> None:
        for section in self.pm.ordered():
            self.texts[section.key] = self.loaded[section.key] = section.text
            self.bases[section.key] = section.head

    def dirty(self, key: str) -> bool:
        return self.texts.get(key, "").strip() != self.loaded.get(key, "").strip() or bool(self.resolving.get(key))

    def _events_appended(self, events: list[Event]) -> None:
        if any(e.stream == pm_domain.stream(self.incident_id) for e in events):
            self.reload()

    def reload(self) -> None:
        """Take in what anyone wrote: sections without unsaved typing here follow the store; a section
        with unsaved typing keeps it, and says someone else changed it."""
        self.pm = postmortem.current(self.console, self.incident_id)
        for section in self.pm.ordered():
            key = section.key
            if not self.dirty(key):
                self.texts[key] = self.loaded[key] = section.text
                self.bases[key] = section.head
                self.changed_elsewhere.pop(key, None)
                if key == self.key and self.editor.toPlainText() != section.text:
                    self._set_editor_text(section.text)
            elif section.head != self.bases.get(key) and section.by != self.console.me.name:
                self.changed_elsewhere[key] = section.by
        self._fill_meta()
        self._refresh_section_chrome()
        self._refresh_list()
        self._preview_timer.start()

    def _fill_meta(self) -> None:
        self.meta.show_postmortem(self.pm)
        today = self.console.now().astimezone(self.console.zone).date()
        text = pm_domain.reminder(self.pm, self.state.reference, today)
        self.reminder.setText(text or "")
        self.reminder.setVisible(bool(text))
        by = self.pm.published_by if self.pm.status == "published" else ""
        last = self.pm.last_change.astimezone(self.console.zone).strftime("%d %b %H:%M") if self.pm.last_change else ""
        self.saved_label.setText(
            f"Started by {self.pm.drafted_by}"
            + (f" · last change {last}" if last else "")
            + (f" · published by {by}" if by else "")
            + " · saved as you go: when you pause, switch section or press Ctrl+S"
        )

    # -- sections --------------------------------------------------------------------------------------

    def _chosen(self, current: QListWidgetItem | None, previous: QListWidgetItem | None) -> None:
        if current is None:
            return
        if previous is not None:
            self.save(str(previous.data(KeyRole)))
        self.key = str(current.data(KeyRole))
        section = spec(self.key)
        self.section_title.setText(section.title)
        self.hint.setText(section.hint)
        self.hint.setVisible(bool(section.hint))
        self.conflict.theirs.hide()
        self._set_editor_text(self.texts.get(self.key, ""))
        self.items_row.setVisible(self.key == "action_items")
        self._refresh_section_chrome()
        self.refresh_preview()
        self.preview.scrollToAnchor(self.key)

    def show_section(self, key: str) -> None:
        for row in range(self.sections.count()):
            item = self.sections.item(row)
            if item is not None and item.data(KeyRole) == key:
                self.sections.setCurrentRow(row)

    def _step(self, by: int) -> None:
        self.sections.setCurrentRow(max(0, min(self.sections.count() - 1, self.sections.currentRow() + by)))

    def _set_editor_text(self, text: str) -> None:
        """Replace the editor's text keeping the cursor near where it was (not a keystroke of the person)."""
        self._loading = True
        try:
            position = self.editor.textCursor().position()
            scrolled = self.editor.verticalScrollBar().value()
            self.editor.setPlainText(text)
            cursor = self.editor.textCursor()
            cursor.setPosition(min(position, len(text)))
            self.editor.setTextCursor(cursor)
            self.editor.verticalScrollBar().setValue(scrolled)
        finally:
            self._loading = False

    def _typed(self) -> None:
        """Kept to what a keystroke can afford in a long section (a 10,000-event incident's timeline has 700
        lines): the whole-section work waits for a pause in typing."""
        if self._loading:
            return
        self.texts[self.key] = self.editor.toPlainText()
        self._preview_timer.start()
        self._save_timer.start()
        self._wording_here()
        self.setWindowModified(any(self.dirty(key) for key in self.texts))

    def _typing_paused(self) -> None:
        self.refresh_preview()
        self._refresh_wording()
        self._refresh_items()
        self._refresh_item(self.key)

    def _cursor_moved(self) -> None:
        self._wording_here()
        if self.key == "action_items":
            self.track.setEnabled(self._item_on_cursor() is not None)

    def _refresh_section_chrome(self) -> None:
        who = self.changed_elsewhere.get(self.key)
        self.elsewhere.setText(
            f"{who} changed this section while you were typing. When you save, your text is "
            f"kept and theirs stays beside it as a conflict to settle."
            if who
            else ""
        )
        self.elsewhere.setVisible(bool(who))
        settled = self.resolving.get(self.key, set())
        waiting = [c for c in self.pm.section(self.key).conflicts if c.id not in settled]
        self.conflict.show_conflict(waiting[0] if waiting else None, len(waiting), self.console.zone)
        self._refresh_wording()
        self._refresh_items()

    def _findings(self, key: str) -> list[blameless.Finding]:
        """The blameless check of a section's text, kept until the text changes."""
        text = self.texts.get(key, "")
        cached = self._checked.get(key)
        if cached is None or cached[0] != text:
            cached = self._checked[key] = (text, blameless.check(text, self.people))
        return cached[1]

    def _refresh_wording(self) -> None:
        """The finding under the cursor, else how many the section has (the whole section is checked)."""
        count = len(self._findings(self.key))
        self._summary = (
            f"{count} phrase{'s' if count != 1 else ''} may read as blame (underlined: point at one "
            f"for a suggestion). This never stops you saving or publishing."
            if count
            else ""
        )
        self._wording_here()

    def _wording_here(self) -> None:
        """Only the cursor's line is checked: cheap enough for every keystroke."""
        here = findings_at(self.editor, self.people, self.editor.textCursor().position())
        self.wording.setText(f"“{here[0].text}”: {here[0].suggestion}" if here else self._summary)
        self.wording.setVisible(bool(self.wording.text()))

    def _refresh_items(self) -> None:
        if self.key != "action_items":
            return
        items = action_lines(self.editor.toPlainText())
        tracked = sum(1 for item in items if item.confirmed)
        drafts = len(items) - tracked
        self.items_label.setText(
            f"{drafts} draft item{'s' if drafts != 1 else ''}, {tracked} tracked. Put the cursor "
            f"on a draft line to track it as an action item."
        )
        self.track.setEnabled(self._item_on_cursor() is not None)

    def _item_on_cursor(self) -> int | None:
        line = self.editor.textCursor().blockNumber()
        found = next((item for item in action_lines(self.editor.toPlainText()) if item.line == line), None)
        return line if found is not None and not found.confirmed else None

    def _refresh_list(self) -> None:
        for row in range(self.sections.count()):
            item = self.sections.item(row)
            if item is not None:
                self._refresh_item(str(item.data(KeyRole)), item)

    def _refresh_item(self, key: str, item: QListWidgetItem | None = None) -> None:
        if item is None:
            found = self.sections.findItems(spec(key).title, Qt.MatchFlag.MatchExactly)
            if not found:
                return
            item = found[0]
        section = self.pm.section(key)
        text = self.texts.get(key, "")
        if not text.strip():
            detail = "empty"
        elif section.edited:
            detail = f"edited by {section.by}"
            if section.at:
                detail += f" {section.at.astimezone(self.console.zone):%H:%M}"
        else:
            detail = "as drafted"
        item.setData(DetailRole, detail)
        item.setData(BadgeRole, "conflict" if section.conflicts else "unsaved" if self.dirty(key) else "")
        item.setData(FindingsRole, len(self._findings(key)))
        item.setToolTip(
            richtext.tooltip(
                f"{spec(key).title}: {detail}" + (". Two versions to settle." if section.conflicts else "")
            )
        )

    # -- saving ----------------------------------------------------------------------------------------

    def save(self, key: str) -> bool:
        """Save one section if it changed; False when the store refused (the message shows under the editor)."""
        if not self.dirty(key):
            return True
        text, base, settled = self.texts[key], self.bases[key], sorted(self.resolving.get(key, set()))
        done, saved = attempt(
            lambda: postmortem.edit(self.console, self.incident_id, key, text, base=base, resolved=settled),
            inline=self.save_error,
        )
        if not done or saved is None:
            return False
        self.pm = saved
        section = saved.section(key)
        self.loaded[key], self.bases[key] = section.text, section.head
        self.resolving.pop(key, None)
        self.changed_elsewhere.pop(key, None)
        self._refresh_section_chrome()
        self._refresh_list()
        self._fill_meta()
        self.setWindowModified(any(self.dirty(k) for k in self.texts))
        return True

    def save_all(self) -> bool:
        self._save_timer.stop()
        return all([self.save(key) for key in list(self.texts)])

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.save_all():
            event.ignore()  # the problem is on screen; closing would lose the typing
            return
        self._preview_timer.stop()
        super().closeEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parent() and event.type() == QEvent.Type.Close and self.isVisible():
            self.close()
        return super().eventFilter(watched, event)

    # -- conflicts -------------------------------------------------------------------------------------

    def _conflict(self) -> Conflict | None:
        settled = self.resolving.get(self.key, set())
        return next((c for c in self.pm.section(self.key).conflicts if c.id not in settled), None)

    def _settle(self, how: str) -> None:
        """Settle the first conflict: "theirs" takes its text, "both" adds it below, "mine" keeps the text."""
        conflict = self._conflict()
        if conflict is None:
            return
        self.resolving.setdefault(self.key, set()).add(conflict.id)
        text = {"theirs": conflict.text, "both": self.editor.toPlainText().rstrip() + f"\n\n{conflict.text}"}.get(how)
        if text is not None:
            self.texts[self.key] = text
            self._set_editor_text(text)
        self.conflict.theirs.hide()
        self.save(self.key)
        self._refresh_section_chrome()
        self.refresh_preview()

    # -- meta ------------------------------------------------------------------------------------------

    def _meta_changed(self, pm: Postmortem) -> None:
        self.pm = pm
        self._fill_meta()

    # -- action items ----------------------------------------------------------------------------------

    def track_item(self) -> None:
        """Create a tracked action item from the draft line under the cursor, and mark the line with it."""
        line = self._item_on_cursor() if self.key == "action_items" else None
        if line is None:
            return
        key = "action_items"
        text, base = self.texts[key], self.bases[key]
        done, confirmed = attempt(
            lambda: postmortem.confirm_action(self.console, self.incident_id, line, text=text, base=base),
            inline=self.save_error,
        )
        if not done or confirmed is None:
            return
        self.pm = confirmed.postmortem
        section = self.pm.section(key)
        self.texts[key] = self.loaded[key] = section.text
        self.bases[key] = section.head
        self._set_editor_text(section.text)
        cursor = self.editor.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.Start)
        cursor.movePosition(QTextCursor.MoveOperation.Down, n=line)
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock)
        self.editor.setTextCursor(cursor)
        self.saved_label.setText(
            f"Tracked as {confirmed.item.reference}: {confirmed.item.title} "
            f"(owner {confirmed.item.owner or 'not set'}, due {confirmed.item.due.isoformat()})."
        )
        self._refresh_items()
        self._refresh_list()
        self.refresh_preview()

    # -- preview and export ----------------------------------------------------------------------------

    def refresh_preview(self) -> None:
        """The whole document as it would be exported now, unsaved typing included."""
        doc = document(self.pm, self.state, self.texts)
        scrolled = self.preview.verticalScrollBar().value()
        self.preview.setHtml(to_html(doc, style=PREVIEW_STYLE))
        self.preview.verticalScrollBar().setValue(scrolled)

    def export(self, fmt: str) -> Path | None:
        """Save first, ask where, and write the file (a PDF through Qt, no browser)."""
        if not self.save_all():
            return None
        label = dict(EXPORTS)[fmt]
        suggested = Path.home() / f"{self.state.reference}-postmortem.{fmt}"
        chosen, _ = QFileDialog.getSaveFileName(
            self, f"Export the postmortem of {self.state.reference}", str(suggested), f"{label} (*.{fmt})"
        )
        if not chosen:
            return None
        path = Path(chosen) if Path(chosen).suffix else Path(chosen).with_suffix(f".{fmt}")
        return path if self.write_export(fmt, path) else None

    def write_export(self, fmt: str, path: Path) -> bool:
        from commander.ui.postmortem.pdf import export_file

        try:
            export_file(document(self.pm, self.state), fmt, path)
        except OSError as error:
            show_problem(
                self,
                "Could not save the export",
                f"{path} could not be written ({error.strerror or error}). "
                f"Choose a folder you can write to and export again.",
            )
            return False
        self.saved_label.setText(f"Saved {path}")
        return True
