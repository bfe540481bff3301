"""What the window remembers between runs, in two groups kept apart.

Preferences are choices a person makes (the theme). UI state is what the window was like when it
closed (geometry, splitter sizes, whether history was open): losing it costs nothing, so it may be
dropped freely, while preferences are kept.
"""

from __future__ import annotations

from pathlib import Path

from platformdirs import user_config_dir
from PySide6.QtCore import QByteArray, QSettings

THEMES = ("dark", "light")


def default_settings_path() -> Path:
    # platformdirs reads XDG_CONFIG_HOME on every call; QSettings' own default location is cached
    # per process, which would let one test's (or one --home's) settings leak into the next.
    return Path(user_config_dir("Commander", appauthor=False)) / "ui.ini"


class UiSettings:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_settings_path()
        self._qt = QSettings(str(self.path), QSettings.Format.IniFormat)

    # -- preferences -------------------------------------------------------------------------

    @property
    def theme(self) -> str:
        value = str(self._qt.value("preferences/theme", "dark"))
        return value if value in THEMES else "dark"

    @theme.setter
    def theme(self, value: str) -> None:
        if value not in THEMES:
            raise ValueError(f"Unknown theme {value!r}; use one of {', '.join(THEMES)}.")
        self._qt.setValue("preferences/theme", value)

    # -- UI state ----------------------------------------------------------------------------

    def state_bytes(self, key: str) -> QByteArray | None:
        value = self._qt.value(f"state/{key}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_state_bytes(self, key: str, value: QByteArray) -> None:
        self._qt.setValue(f"state/{key}", value)

    def state_flag(self, key: str, default: bool = False) -> bool:
        value = self._qt.value(f"state/{key}", default)
        return value in (True, "true", "1", 1)

    def set_state_flag(self, key: str, value: bool) -> None:
        self._qt.setValue(f"state/{key}", bool(value))

    def sync(self) -> None:
        self._qt.sync()
