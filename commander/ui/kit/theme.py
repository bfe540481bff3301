"""Dark and light palettes, the style sheet, and the colours panels paint with.

One style sheet (resources/commander.qss) holds the shapes; the palettes below fill its `@token`s, so
the two themes cannot drift apart in layout. Severity colours come from the policy (Okabe-Ito, safe
for colour blindness) and are always drawn with their text label beside them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from commander.app.setup.resources import resources_dir
from commander.domain.core.policy import Policy


@dataclass(frozen=True)
class Tones:
    name: str
    window: str
    surface: str  # panels
    raised: str  # inputs, hovered rows
    border: str
    text: str
    muted: str
    faint: str
    accent: str
    accent_text: str
    selection: str
    danger: str  # error messages
    warning: str  # unfilled key roles, drills
    warning_bg: str
    pin: str
    # Category marks in the timeline: subtle bars, never the only cue (the text says what it is).
    cat_severity: str
    cat_status: str
    cat_role: str
    cat_milestone: str
    cat_incident: str
    cat_update: str
    cat_timer: str
    cat_checklist: str
    cat_alert: str
    cat_action: str
    cat_paging: str

    def colour(self, token: str) -> QColor:
        return QColor(getattr(self, token))

    def category(self, category: str) -> QColor | None:
        value = getattr(self, f"cat_{category}", None)
        return QColor(value) if value else None


DARK = Tones(
    name="dark",
    window="#0f1115",
    surface="#16191f",
    raised="#1e222a",
    border="#2a2f38",
    text="#dde1e8",
    muted="#9aa1ad",
    faint="#646b77",
    accent="#6e9cf7",
    accent_text="#0f1115",
    selection="#253451",
    danger="#ff7b72",
    warning="#f0b429",
    warning_bg="#3a2e12",
    pin="#f0b429",
    cat_severity="#E69F00",
    cat_status="#56B4E9",
    cat_role="#009E73",
    cat_milestone="#CC79A7",
    cat_incident="#a0a7b4",
    cat_update="#F0E442",
    cat_timer="#D55E00",
    cat_checklist="#0072B2",  # Okabe-Ito blue: beside the sky blue of status, darker by half
    cat_alert="#F28E6B",
    cat_action="#B39DDB",
    cat_paging="#FF79C6",  # pink: apart from the alert orange and the milestone purple
)
LIGHT = Tones(
    name="light",
    window="#eef0f3",
    surface="#ffffff",
    raised="#f5f6f8",
    border="#d5d9e0",
    text="#1b1f26",
    muted="#59606c",
    faint="#8a909b",
    accent="#2f63d0",
    accent_text="#ffffff",
    selection="#d9e4fa",
    danger="#c0362c",
    warning="#8a5a00",
    warning_bg="#fff1cc",
    pin="#b07800",
    cat_severity="#D55E00",
    cat_status="#0072B2",
    cat_role="#009E73",
    cat_milestone="#CC79A7",
    cat_incident="#6b7280",
    cat_update="#9C8E00",
    cat_timer="#A63D00",
    cat_checklist="#3A96D2",  # Okabe-Ito sky blue, darkened to 3.2:1 on white; status here is the deep blue
    cat_alert="#B8471F",
    cat_action="#7B5EA7",
    cat_paging="#C2185B",
)
TONES = {"dark": DARK, "light": LIGHT}


def tones(name: str) -> Tones:
    return TONES.get(name, DARK)


def style_sheet(t: Tones) -> str:
    text = (resources_dir() / "commander.qss").read_text(encoding="utf-8")
    # Longest names first, so @raised never eats part of a longer token that starts the same way.
    for f in sorted(fields(t), key=lambda f: -len(f.name)):
        text = text.replace(f"@{f.name}", str(getattr(t, f.name)))
    return text


def palette(t: Tones) -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    pairs = (
        (role.Window, t.window),
        (role.WindowText, t.text),
        (role.Base, t.surface),
        (role.AlternateBase, t.raised),
        (role.Text, t.text),
        (role.Button, t.raised),
        (role.ButtonText, t.text),
        (role.Highlight, t.selection),
        (role.HighlightedText, t.text),
        (role.ToolTipBase, t.raised),
        (role.ToolTipText, t.text),
        (role.PlaceholderText, t.faint),
        (role.Link, t.accent),
        (role.BrightText, t.danger),
        (role.Mid, t.border),
        (role.Dark, t.window),
        (role.Light, t.raised),
        (role.Midlight, t.border),
    )
    for r, value in pairs:
        p.setColor(r, QColor(value))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, r, QColor(t.faint))
    return p


def apply(window: QWidget, name: str) -> Tones:
    """Theme the application (palette, for dialogs and menus too) and the window's style sheet."""
    t = tones(name)
    app = QApplication.instance()
    if isinstance(app, QApplication):
        app.setStyle("Fusion")  # the one style that honours palettes the same way on every platform
        app.setPalette(palette(t))
        app.setStyleSheet(style_sheet(t))
    window.setProperty("theme", t.name)
    return t


def severity_colour(policy: Policy, key: str) -> QColor:
    severity = policy.find_severity(key)
    return QColor(severity.colour if severity else "#8C8C8C")


def text_on(background: QColor) -> QColor:
    """Black or white, whichever reads better on the background (WCAG relative luminance)."""

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    lum = (
        0.2126 * channel(background.redF())
        + 0.7152 * channel(background.greenF())
        + 0.0722 * channel(background.blueF())
    )
    return QColor("#000000") if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else QColor("#ffffff")


def mono_font(scale: float = 1.0) -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    base = QApplication.font().pointSizeF()
    if base > 0:
        font.setPointSizeF(base * scale)
    return font


def scaled_font(scale: float, *, bold: bool = False, base: QFont | None = None) -> QFont:
    font = QFont(base or QApplication.font())
    if font.pointSizeF() > 0:
        font.setPointSizeF(font.pointSizeF() * scale)
    font.setBold(bold)
    return font
