"""A week or a month of one schedule's shifts, painted: each person in a colour of their own, and always
with the name written, so the colour is never the only cue. Stretches with nobody on call are hatched.

Days are drawn in the schedule's own zone, where its handoffs are (a 23- or 25-hour day on a clock
change fills its column all the same). The widget computes its shifts from the domain; it holds no state
of its own beyond what it shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QHelpEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from commander.domain.oncall.schedules import Schedule, Shift, people, whole_shifts
from commander.domain.oncall.zones import instant
from commander.ui.kit import richtext
from commander.ui.kit.paint import elide

# Okabe-Ito first (safe for colour blindness), then a few more distinct hues for larger rotations.
PERSON_COLOURS = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#8E7CC3",
    "#7F7F7F",
    "#1ABC9C",
)
NOBODY = "#D55E00"
WEEK, MONTH = "week", "month"


def person_colours(schedule: Schedule) -> dict[str, QColor]:
    """Each person on the schedule and their colour, by the order they first appear (stable while the
    schedule is)."""
    return {name.casefold(): QColor(PERSON_COLOURS[n % len(PERSON_COLOURS)]) for n, name in enumerate(people(schedule))}


@dataclass(frozen=True)
class _Hit:
    area: QRectF
    text: str


class ShiftCalendar(QWidget):
    period_changed = Signal(str)  # "30 Nov – 6 Dec 2026", after a step, a mode change or a new schedule

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.schedule: Schedule | None = None
        self.mode = WEEK
        self.anchor = date.today()
        self.now = datetime.now().astimezone()
        self.shifts: list[Shift] = []
        self.colours: dict[str, QColor] = {}
        self._hits: list[_Hit] = []
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(self.fontMetrics().horizontalAdvance("x") * 90, self.fontMetrics().height() * 26)
        self.setAccessibleName("On-call calendar")

    # -- what it shows -------------------------------------------------------------------------------

    def show_schedule(self, schedule: Schedule | None, now: datetime) -> None:
        first = self.schedule is None or schedule is None or self.schedule.name != schedule.name
        self.schedule, self.now = schedule, now
        if first and schedule is not None:
            self.anchor = now.astimezone(schedule.zone).date()
        self._reload()

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self._reload()

    def step(self, direction: int) -> None:
        """The next (1) or previous (-1) week or month."""
        if self.mode == WEEK:
            self.anchor += timedelta(weeks=direction)
        else:
            month = self.anchor.month - 1 + direction
            self.anchor = date(self.anchor.year + month // 12, month % 12 + 1, 1)
        self._reload()

    def go_today(self) -> None:
        if self.schedule is not None:
            self.anchor = self.now.astimezone(self.schedule.zone).date()
        self._reload()

    def days(self) -> list[date]:
        """The days on screen: a week from Monday, or the six weeks that hold the month."""
        if self.mode == WEEK:
            monday = self.anchor - timedelta(days=self.anchor.weekday())
            return [monday + timedelta(days=n) for n in range(7)]
        first = self.anchor.replace(day=1)
        start = first - timedelta(days=first.weekday())
        return [start + timedelta(days=n) for n in range(42)]

    def period(self) -> str:
        days = self.days()
        if self.mode == MONTH:
            text = self.anchor.strftime("%B %Y")
        else:
            text = f"{days[0].strftime('%d %b')} – {days[-1].strftime('%d %b %Y')}"
        return f"{text} · {self.schedule.zone.key}" if self.schedule else text

    def _reload(self) -> None:
        if self.schedule is None:
            self.shifts, self.colours = [], {}
        else:
            days = self.days()
            self.shifts = whole_shifts(
                self.schedule, self._midnight(days[0]), self._midnight(days[-1] + timedelta(days=1))
            )
            self.colours = person_colours(self.schedule)
        self.setAccessibleDescription(self._spoken())
        self.period_changed.emit(self.period())
        self.update()

    def _spoken(self) -> str:
        if self.schedule is None:
            return "No schedule chosen."
        zone = self.schedule.zone
        return (
            "; ".join(
                f"{s.person} from {s.start.astimezone(zone):%a %d %b %H:%M} to {s.end.astimezone(zone):%a %d %b %H:%M}"
                for s in self.shifts
            )
            or "Nobody on call."
        )

    def _midnight(self, day: date) -> datetime:
        assert self.schedule is not None
        return instant(datetime.combine(day, time(0)), self.schedule.zone)

    # -- painting ------------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        self._hits = []
        if self.schedule is not None:
            if self.mode == WEEK:
                self._paint_week(painter, palette, self.schedule.zone)
            else:
                self._paint_month(painter, palette, self.schedule.zone)
        painter.end()

    def _paint_week(self, painter: QPainter, palette: QPalette, zone: ZoneInfo) -> None:
        metrics = self.fontMetrics()
        line = metrics.height()
        gutter = metrics.horizontalAdvance("00:00") + 12
        header = line * 2 + 6
        width = (self.width() - gutter - 1) / 7
        height = self.height() - header - 1
        text, faint = palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.PlaceholderText)
        grid = palette.color(QPalette.ColorRole.Mid)
        for hour in range(0, 25, 3):
            y = header + height * hour / 24
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(gutter, y), QPointF(self.width(), y))
            if hour < 24:
                painter.setPen(faint)
                painter.drawText(QRectF(0, y, gutter - 6, line), Qt.AlignmentFlag.AlignRight, f"{hour:02d}:00")
        today = self.now.astimezone(zone).date()
        for column, day in enumerate(self.days()):
            left = gutter + column * width
            start, end = self._midnight(day), self._midnight(day + timedelta(days=1))
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(left, header), QPointF(left, self.height()))
            bold = QFont(self.font())
            bold.setBold(day == today)
            painter.setFont(bold)
            painter.setPen(palette.color(QPalette.ColorRole.Link) if day == today else text)
            painter.drawText(QRectF(left, 2, width, line), Qt.AlignmentFlag.AlignCenter, day.strftime("%a"))
            painter.drawText(QRectF(left, 2 + line, width, line), Qt.AlignmentFlag.AlignCenter, day.strftime("%d %b"))
            painter.setFont(self.font())

            def y_of(moment: datetime, start: datetime = start, end: datetime = end) -> float:
                return header + height * ((moment - start) / (end - start))

            for gap_start, gap_end in self._gaps(start, end):
                self._nobody(
                    painter,
                    QRectF(left + 2, y_of(gap_start), width - 4, y_of(gap_end) - y_of(gap_start)),
                    gap_start,
                    gap_end,
                    zone,
                )
            for shift in self.shifts:
                if shift.end <= start or shift.start >= end:
                    continue
                top, bottom = y_of(max(shift.start, start)), y_of(min(shift.end, end))
                self._block(painter, palette, QRectF(left + 2, top, width - 4, bottom - top), shift, zone)
            if start <= self.now < end:
                y = y_of(self.now)
                painter.setPen(QPen(QColor(NOBODY), 2))
                painter.drawLine(QPointF(left, y), QPointF(left + width, y))
                painter.setBrush(QColor(NOBODY))
                painter.drawEllipse(QPointF(left + 3, y), 3, 3)

    def _block(self, painter: QPainter, palette: QPalette, area: QRectF, shift: Shift, zone: ZoneInfo) -> None:
        colour = self.colours.get(shift.person.casefold(), QColor(PERSON_COLOURS[-1]))
        fill = QColor(colour)
        fill.setAlpha(70)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(area, 3, 3)
        painter.setBrush(colour)
        painter.drawRect(QRectF(area.left(), area.top(), 4, area.height()))
        if shift.override:
            painter.setPen(QPen(colour, 1, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(area.adjusted(0.5, 0.5, -0.5, -0.5), 3, 3)
        when = f"{shift.start.astimezone(zone):%a %H:%M} – {shift.end.astimezone(zone):%a %H:%M}"
        self._hits.append(_Hit(area, f"{shift.person}: {when} ({zone.key}), {shift.source}"))
        line = self.fontMetrics().height()
        inner = area.adjusted(8, 2, -3, -2)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        bold = QFont(self.font())
        bold.setBold(True)
        painter.setFont(bold)
        label = shift.person + (" (override)" if shift.override and inner.height() < line * 2 else "")
        painter.drawText(
            inner,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
            elide(self.fontMetrics(), label, inner.width()),
        )
        painter.setFont(self.font())
        start, end = shift.start.astimezone(zone), shift.end.astimezone(zone)
        # A shift longer than a day shows in several columns: each says where the whole of it lies.
        if end - start <= timedelta(days=1):
            details = [f"{start:%H:%M}–{end:%H:%M}"]
        else:
            details = [f"{start:%a %H:%M} – {end:%a %H:%M}"]
            if self.fontMetrics().horizontalAdvance(details[0]) > inner.width():
                details = [f"{start:%a %H:%M} –", f"{end:%a %H:%M}"]
        details += ["override"] if shift.override else []
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        top_left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        for row, detail in enumerate(details, start=1):
            if inner.height() < line * (row + 1):
                break
            painter.drawText(
                inner.adjusted(0, line * row, 0, 0),
                top_left,
                elide(self.fontMetrics(), detail, inner.width()),
            )

    def _nobody(self, painter: QPainter, area: QRectF, start: datetime, end: datetime, zone: ZoneInfo) -> None:
        colour = QColor(NOBODY)
        colour.setAlpha(110)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(colour, Qt.BrushStyle.BDiagPattern))
        painter.drawRect(area)
        self._hits.append(
            _Hit(
                area,
                f"Nobody on call: {start.astimezone(zone):%a %H:%M} – {end.astimezone(zone):%a %H:%M} ({zone.key})",
            )
        )
        if area.height() >= self.fontMetrics().height():
            painter.setPen(QColor(NOBODY))
            painter.drawText(
                area.adjusted(8, 2, -2, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, "nobody"
            )

    def _paint_month(self, painter: QPainter, palette: QPalette, zone: ZoneInfo) -> None:
        metrics = self.fontMetrics()
        line = metrics.height()
        header = line + 6
        width, height = (self.width() - 1) / 7, (self.height() - header - 1) / 6
        text, faint = palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.PlaceholderText)
        grid = palette.color(QPalette.ColorRole.Mid)
        for column, name in enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")):
            painter.setPen(faint)
            painter.drawText(QRectF(column * width, 2, width, line), Qt.AlignmentFlag.AlignCenter, name)
        today = self.now.astimezone(zone).date()
        for index, day in enumerate(self.days()):
            cell = QRectF((index % 7) * width, header + (index // 7) * height, width, height)
            inside = day.month == self.anchor.month
            if not inside:
                painter.fillRect(cell, palette.color(QPalette.ColorRole.AlternateBase))
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Link), 2) if day == today else QPen(grid, 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(cell)
            painter.setPen(text if inside else faint)
            painter.drawText(
                cell.adjusted(4, 2, -4, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, str(day.day)
            )
            start, end = self._midnight(day), self._midnight(day + timedelta(days=1))
            chips: list[tuple[datetime, Shift | None]] = [
                (shift.start, shift) for shift in self.shifts if shift.start < end and shift.end > start
            ]
            chips += [(gap_start, None) for gap_start, _ in self._gaps(start, end)]
            chips.sort(key=lambda chip: chip[0])
            room = max(1, int((cell.height() - line - 4) // (line + 2)))
            shown = chips if len(chips) <= room else chips[: room - 1]
            for row, (begins, shift) in enumerate(shown):
                area = QRectF(cell.left() + 3, cell.top() + line + 3 + row * (line + 2), cell.width() - 6, line)
                clock = f"{begins.astimezone(zone):%H:%M} " if begins > start else ""
                self._chip(painter, palette, area, clock, shift)
            if len(shown) < len(chips):
                painter.setPen(faint)
                painter.drawText(
                    QRectF(cell.left() + 6, cell.bottom() - line - 2, cell.width() - 8, line),
                    Qt.AlignmentFlag.AlignLeft,
                    f"+{len(chips) - len(shown)} more",
                )

    def _chip(self, painter: QPainter, palette: QPalette, area: QRectF, clock: str, shift: Shift | None) -> None:
        colour = (
            QColor(NOBODY) if shift is None else self.colours.get(shift.person.casefold(), QColor(PERSON_COLOURS[-1]))
        )
        fill = QColor(colour)
        fill.setAlpha(70)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(fill, Qt.BrushStyle.BDiagPattern if shift is None else Qt.BrushStyle.SolidPattern))
        painter.drawRoundedRect(area, 3, 3)
        painter.setBrush(colour)
        painter.drawRect(QRectF(area.left(), area.top(), 3, area.height()))
        name = "nobody" if shift is None else shift.person + (" (override)" if shift.override else "")
        painter.setPen(QColor(NOBODY) if shift is None else palette.color(QPalette.ColorRole.Text))
        painter.drawText(
            area.adjusted(6, 0, -2, 0),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            elide(self.fontMetrics(), clock + name, area.width() - 8),
        )
        if shift is not None and self.schedule is not None:
            zone = self.schedule.zone
            self._hits.append(
                _Hit(
                    area,
                    f"{shift.person}: {shift.start.astimezone(zone):%a %d %b %H:%M} – "
                    f"{shift.end.astimezone(zone):%a %d %b %H:%M} ({zone.key}), {shift.source}",
                )
            )

    def _gaps(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Stretches of [start, end) with nobody on call."""
        found, cursor = [], start
        for shift in self.shifts:
            if shift.end <= cursor or shift.start >= end:
                continue
            if shift.start > cursor:
                found.append((cursor, shift.start))
            cursor = max(cursor, shift.end)
        if cursor < end:
            found.append((cursor, end))
        return found

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            hit = next((h for h in reversed(self._hits) if h.area.contains(QPointF(event.pos()))), None)
            if hit is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), richtext.tooltip(hit.text), self)  # names are anyone's words
            return True
        return super().event(event)
