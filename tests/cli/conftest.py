"""The command line, called in-process: `main([...])` with the output captured."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from commander.cli.main import main


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Run = Callable[..., Result]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store" / "commander.db"


@pytest.fixture
def run(db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Run:
    """run("declare", "--title", ...) against the test's store; stdin= feeds standard input."""

    def run(*argv: str, stdin: str | None = None, store: str | Path | None = db) -> Result:
        capsys.readouterr()
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main((["--db", str(store)] if store is not None else []) + list(argv))
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


@pytest.fixture
def declare(run: Run) -> Callable[..., str]:
    """Declare an incident and return its reference; the declaration must succeed."""

    def declare(title: str = "Checkout API returning 502s", *extra: str) -> str:
        result = run("declare", "--title", title, "--severity", "SEV2", *extra)
        assert result.code == 0, result.err
        return result.out.strip()

    return declare


def refused(result: Result, *fragments: str) -> None:
    """A refusal: status 1, nothing on stdout, one line on stderr naming the problem, no traceback."""
    assert result.code == 1, result
    assert result.out == ""
    assert result.err.startswith("commander: ") and result.err.count("\n") == 1, result.err
    assert "Traceback" not in result.err
    for fragment in fragments:
        assert fragment.lower() in result.err.lower(), (fragment, result.err)
