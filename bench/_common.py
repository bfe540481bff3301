"""What the benchmark scripts share: where the seeded store lives, timing helpers, the result table."""

from __future__ import annotations

import os
import resource
import statistics
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"  # gitignored
DEFAULT_STORE = OUT / "seed.db"
BIG_TITLE = "Payments platform degraded (long-running)"  # seed.py gives the 50,000-event incident this title


def quiet_environment(home: Path | None = None) -> dict[str, str]:
    """Environment for child processes: headless Qt, and a private home so no real settings are touched."""
    home = home or Path(tempfile.mkdtemp(prefix="commander-bench-"))
    env = dict(os.environ)
    env.update(
        {
            "QT_QPA_PLATFORM": env.get("QT_QPA_PLATFORM", "offscreen"),
            "COMMANDER_HOME": str(home / "data"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "share"),
            "COMMANDER_USER": "Bench",
            "QT_LOGGING_RULES": "*.debug=false;qt.qpa.*=false",
        }
    )
    env.pop("COMMANDER_DB", None)
    # An installed Commander starts from compiled bytecode (pip writes it at install, Python on first
    # import). A sandbox may forbid writing it (PYTHONDONTWRITEBYTECODE), so that every start compiles
    # every module again: that measures the compiler, not Commander. Let the children write it.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def require_store(path: Path) -> Path:
    if not path.is_file():
        sys.exit(f"No seeded store at {path}. Make one first: .venv/bin/python bench/seed.py")
    return path


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def median_ms(seconds: Sequence[float]) -> float:
    return statistics.median(seconds) * 1000


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: float | None = None  # the figure must stay below this
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "-"
        return "PASS" if self.value < self.target else "MISS"


def print_table(title: str, figures: Sequence[Figure]) -> None:
    rows = [
        (
            f.name,
            f"{f.value:,.1f} {f.unit}",
            f"< {f.target:,.{0 if f.target >= 10 else 1}f} {f.unit}" if f.target is not None else "",
            f.verdict,
            f.note,
        )
        for f in figures
    ]
    headers = ("figure", "measured", "target", "", "note")
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    print(f"\n{title}")
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
