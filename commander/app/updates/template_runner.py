"""Filling in templates (updates and postmortems) where a hostile one cannot hurt: a worker process.

Why a process, and why a persistent one. A team template comes from the shared store, so it is hostile
input. The in-process guard (`commander.domain.updates.template_guard`) stops loops, big numbers, long texts and
recursion with a precise message and line, but one C-level operation inside a single call cannot be
interrupted in-process, and a thread cannot be killed. A separate process can: it runs with an address
space limit (`template_worker.MEMORY_LIMIT`) and is killed when it overruns the hard timeout below, so
the worst a template can do is cost `HARD_TIMEOUT` seconds of one CPU. Starting a Python process per
render would cost about 150 ms, too slow for a preview that follows typing, so each worker is kept and
reused (a round trip is well under a millisecond for a normal template) and only replaced after it was
killed. Callers in the window call from a worker thread (never the UI thread), and several may render at
once: each takes an idle worker or starts one.

Where a separate process is not available (Windows, a frozen build without `python -m`), templates are
rendered in-process under the guard alone.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any

from commander.app.updates.template_worker import write_message
from commander.domain.postmortem.draft import render_sections
from commander.domain.updates.template_guard import TIME_BUDGET
from commander.domain.updates.templates import Template, TemplateProblem, render

HARD_TIMEOUT = TIME_BUDGET + 1.5  # seconds: the guard in the worker speaks first, with the line
START_TIMEOUT = 30.0  # seconds a new worker may take to start on a busy machine
MOST_IDLE = 2
ISOLATED = os.name == "posix" and not getattr(sys, "frozen", False)


class WorkerFailed(RuntimeError):
    """The worker process had a bug (its traceback is in the message)."""


class _Worker:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "commander.app.updates.template_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        if self._receive(time.monotonic() + START_TIMEOUT) != {"ready": True}:
            self.kill()
            raise WorkerFailed("The template worker did not start.")

    def ask(self, request: dict[str, Any], timeout: float) -> Any:
        assert self.process.stdin is not None
        write_message(self.process.stdin, request)
        return self._receive(time.monotonic() + timeout)

    def _receive(self, deadline: float) -> Any:
        """The next answer, or None when the worker did not answer in time or went away."""
        assert self.process.stdout is not None
        stdout = self.process.stdout
        buffered = b""
        fd = stdout.fileno()
        need = 4
        while True:
            while len(buffered) < need:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([fd], [], [], left)[0]:
                    return None
                chunk = os.read(fd, max(need - len(buffered), 65536))
                if not chunk:
                    return None
                buffered += chunk
            if need == 4:
                need = 4 + int.from_bytes(buffered[:4], "big")
                continue
            return json.loads(buffered[4:need])

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


_idle: list[_Worker] = []
_lock = threading.Lock()


def _take() -> _Worker:
    with _lock:
        if _idle:
            return _idle.pop()
    return _Worker()


def _give_back(worker: _Worker) -> None:
    with _lock:
        if len(_idle) < MOST_IDLE:
            _idle.append(worker)
            return
    worker.kill()


@atexit.register
def shut_down() -> None:
    """Stop the idle workers (a worker also stops by itself when this process's end of its pipe closes)."""
    with _lock:
        workers = list(_idle)
        _idle.clear()
    for worker in workers:
        worker.kill()


def ready() -> None:
    """Have a worker waiting, starting one now if none is idle (a fraction of a second, once), so that the
    first preview of a dialog is as quick as the next."""
    if not ISOLATED:
        return
    with _lock:
        if _idle:
            return
    _give_back(_Worker())


def _run(request: dict[str, Any], seconds: float) -> dict[str, Any]:
    worker = _take()
    try:
        answer = worker.ask(request, seconds + HARD_TIMEOUT - TIME_BUDGET)
    except BrokenPipeError:  # an idle worker that went away (killed from outside): one fresh try
        worker.kill()
        worker = _Worker()
        answer = worker.ask(request, seconds + HARD_TIMEOUT - TIME_BUDGET)
    if answer is None:
        worker.kill()
        raise TemplateProblem(
            f"stopped after {seconds:g} s: a template must finish sooner. Look for a loop "
            f"that runs too many times or makes very long texts"
        )
    if answer.get("spent"):
        worker.kill()
    else:
        _give_back(worker)
    if "bug" in answer:
        raise WorkerFailed(f"The template worker failed:\n{answer['bug']}")
    if "problem" in answer:
        raise TemplateProblem(answer["problem"], answer["line"])
    return dict(answer)


def render_update(source: str, variables: Mapping[str, Any], *, seconds: float = TIME_BUDGET) -> str:
    """The update a template writes for these variables; a TemplateProblem (with its line) otherwise."""
    if not ISOLATED:
        return render(source, dict(variables), seconds=seconds)
    text: str = _run({"kind": "update", "source": source, "variables": variables, "seconds": seconds}, seconds)["text"]
    return text


def render_postmortem(source: str, variables: Mapping[str, Any], *, seconds: float = TIME_BUDGET) -> dict[str, str]:
    """Each postmortem section the template writes; a TemplateProblem (with its line) otherwise."""
    if not ISOLATED:
        return render_sections(source, dict(variables), seconds=seconds)
    sections: dict[str, str] = _run(
        {"kind": "postmortem", "source": source, "variables": variables, "seconds": seconds}, seconds
    )["sections"]
    return sections


def problems(found: Mapping[str, Template], variables: Mapping[str, Any]) -> dict[str, TemplateProblem]:
    """The templates that cannot be filled in with these variables, each with its problem. Each renders on
    its own (a hostile one cannot change what the next one sees, nor stop it from being checked)."""
    broken = {}
    for key, each in found.items():
        try:
            render_update(each.source, variables)
        except TemplateProblem as problem:
            broken[key] = problem
    return broken
