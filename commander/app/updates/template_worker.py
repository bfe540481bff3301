"""The worker process that fills in templates for `template_runner` (run as `python -m` this module).

It reads requests from standard input and writes answers to standard output, each a JSON document after
its length (4 bytes, big-endian): JSON both ways, so nothing the worker says can run code in the window.
Its address space is limited (`MEMORY_LIMIT`), so a template that allocates without end gets a
MemoryError here instead of taking the machine's memory; the window kills it on a hard timeout, and the
kernel stops it when one request has used more CPU time than its budget allows (`_limit_cpu`), whether or
not the window is still there. It stops when its standard input closes (the window went away).
RLIMIT_AS and RLIMIT_CPU (SIGXCPU at the soft limit): https://docs.python.org/3/library/resource.html and
https://man7.org/linux/man-pages/man2/setrlimit.2.html .
"""

from __future__ import annotations

import json
import struct
import sys
import traceback
from typing import IO, Any

from commander.domain.postmortem.draft import render_sections
from commander.domain.updates.templates import TemplateProblem, render

MEMORY_LIMIT = 1 << 30  # bytes of address space: a template's output is at most a few MB
MEMORY_PROBLEM = "it needs more memory than a template may use"
_LENGTH = struct.Struct(">I")


def _limit_memory() -> None:
    try:
        import resource
    except ImportError:  # not on Windows: the runner renders in-process there
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = MEMORY_LIMIT if hard == resource.RLIM_INFINITY else min(MEMORY_LIMIT, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _limit_cpu(seconds: float) -> None:
    """The kernel's own stop for this request: CPU time past the budget (plus a margin) ends the process
    with SIGXCPU, even if the window that started it has gone away meanwhile."""
    try:
        import resource
    except ImportError:
        return
    used = resource.getrusage(resource.RUSAGE_SELF)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    limit = int(used.ru_utime + used.ru_stime + seconds) + 3
    resource.setrlimit(resource.RLIMIT_CPU, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))


def read_message(stream: IO[bytes]) -> Any:
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    return json.loads(stream.read(_LENGTH.unpack(head)[0]))


def write_message(stream: IO[bytes], message: Any) -> None:
    body = json.dumps(message).encode()
    stream.write(_LENGTH.pack(len(body)) + body)
    stream.flush()


def answer(request: dict[str, Any]) -> dict[str, Any]:
    _limit_cpu(request["seconds"])
    try:
        if request["kind"] == "postmortem":
            return {"sections": render_sections(request["source"], request["variables"], seconds=request["seconds"])}
        return {"text": render(request["source"], request["variables"], seconds=request["seconds"])}
    except TemplateProblem as problem:
        # After running out of memory the worker is replaced: what the template built may still be held
        # (by the traceback's frames), and the next template must start with all the room there is.
        return {"problem": problem.reason, "line": problem.line, "spent": "memory" in problem.reason}
    except MemoryError:
        return {"problem": MEMORY_PROBLEM, "line": None, "spent": True}
    except Exception:  # noqa: BLE001 (a bug: its traceback goes back to the window's log)
        return {"bug": traceback.format_exc()}


def main() -> None:
    _limit_memory()
    inbox, outbox = sys.stdin.buffer, sys.stdout.buffer
    render("{% for x in range(2) %}{{ x * 2 }}{% endfor %}", {}, seconds=10)  # compile once: the first answer is quick
    write_message(outbox, {"ready": True})
    while (request := read_message(inbox)) is not None:
        write_message(outbox, answer(request))


if __name__ == "__main__":
    main()
