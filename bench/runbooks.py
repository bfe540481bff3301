"""The runbook library at size: importing a folder of 1,000 Markdown runbooks, and searching 2,000.

Generates realistic runbooks (front matter, Meaning / Impact / Diagnosis / Mitigation / Escalation,
nested steps, inline and fenced commands, links) into a temporary folder, imports them into a fresh
store in a temporary folder, then times 100 searches of the kinds people type (one word, two words with
the last one half typed, an incident's services and alert names) over 2,000 runbooks.

    .venv/bin/python bench/runbooks.py
    .venv/bin/python bench/runbooks.py --import 1000 --library 2000 --queries 100 --seed 7
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import Figure, print_table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SYSTEMS = [
    "checkout",
    "payments",
    "orders",
    "search",
    "inventory",
    "billing",
    "auth",
    "sessions",
    "catalog",
    "shipping",
    "notifications",
    "reporting",
    "ledger",
    "pricing",
    "recommendations",
    "media",
    "gateway",
    "profile",
    "cart",
    "fraud",
    "warehouse",
    "email",
    "sms",
    "export",
    "import",
]
PARTS = ["api", "db", "worker", "cache", "queue", "frontend", "cron", "consumer", "proxy", "replica"]
PROBLEMS = [
    ("HighErrorRate", "returning 5xx"),
    ("HighLatency", "slow responses"),
    ("PodCrashLooping", "pods crash looping"),
    ("DiskFull", "disk almost full"),
    ("ReplicationLag", "replica lagging"),
    ("QueueBacklog", "queue backlog growing"),
    ("CertificateExpiry", "certificate expiring"),
    ("MemoryHigh", "memory above 90%"),
    ("ConnectionsExhausted", "connection pool exhausted"),
    ("Down", "not answering health checks"),
]
CHECKS = [
    "Check the error rate by route on the dashboard",
    "Look at the last deploys",
    "Compare with the same hour last week",
    "Check the upstream dependencies",
    "Read the logs of the previous container",
    "Check CPU throttling",
    "Check the connection pool metrics",
    "Look for long-running queries",
    "Check the node the pods run on",
    "Check the certificate's expiry date",
]
ACTIONS = [
    "Roll back the last deploy",
    "Scale out the deployment",
    "Restart the stuck workers",
    "Fail over to the replica",
    "Drain the node",
    "Raise the memory limit",
    "Pause the batch jobs",
    "Switch traffic to the other region",
    "Renew the certificate",
    "Purge the dead-letter queue",
]


def write_runbook(folder: Path, number: int, rng: random.Random) -> None:
    system, part = rng.choice(SYSTEMS), rng.choice(PARTS)
    alert, words = rng.choice(PROBLEMS)
    service = f"{system}-{part}"
    name = f"{system.title()}{part.title()}{alert}"
    namespace = system
    lines = [
        "---",
        f"title: {service} {words} ({number})",
        f"services: [{service}, {system}]",
        f"alerts: [{name}]",
        f"tags: [{system}, {rng.choice(['tier-1', 'tier-2', 'internal'])}]",
        f"owner: {system.title()} team",
        f"last_reviewed: 2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}",
        "links:",
        "  - label: Dashboard",
        f"    url: https://grafana.example.com/d/{service}",
        "---",
        "",
        f"# {name}",
        "",
        "## Meaning",
        "",
        f"The {service} {words}. This alert fires after {rng.choice([5, 10, 15])} minutes above the threshold,",
        "which usually means customers see errors or delays.",
        "",
        "## Impact",
        "",
        f"Requests to {system} fail or slow down; dependent services may time out.",
        "",
        "## Diagnosis",
        "",
    ]
    for index, check in enumerate(rng.sample(CHECKS, 6), start=1):
        lines.append(f"{index}. {check}: `kubectl -n {namespace} get pods -l app={service}`")
        if rng.random() < 0.5:
            lines += [
                f"   - See [the logs](https://logs.example.com/{service}?q=error) for `{alert}`",
                f"   - Compare with `kubectl -n {namespace} top pods`",
            ]
    lines += ["", "## Mitigation", "", "Pick the first step that fits; each is safe to repeat.", ""]
    for action in rng.sample(ACTIONS, 6):
        lines += [f"- {action}:", "  ```shell", f"  kubectl -n {namespace} rollout undo deploy/{service}", "  ```"]
        if rng.random() < 0.3:
            lines += [
                f"  - Watch the rollout: `kubectl -n {namespace} rollout status deploy/{service}`",
                "    - Expect it to finish within 5 minutes",
            ]
    lines += [
        "",
        "### Rollback",
        "",
        f"- Undo the change: `kubectl -n {namespace} rollout undo deploy/{service}`",
        "",
        "## Escalation",
        "",
        f"- Page the {system} on-call if it is not better in 15 minutes.",
        "- Declare a SEV1 if checkout is affected.",
        "",
    ]
    (folder / system).mkdir(exist_ok=True)
    (folder / system / f"{service}-{alert.lower()}-{number}.md").write_text("\n".join(lines), encoding="utf-8")


def make_folder(root: Path, count: int, start: int, rng: random.Random) -> Path:
    folder = root / f"runbooks-{start}"
    folder.mkdir()
    for number in range(start, start + count):
        write_runbook(folder, number, rng)
    return folder


def queries(count: int, rng: random.Random) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """What people type: a word, two words with the last half typed, or the incident's facts."""
    made = []
    for number in range(count):
        system = rng.choice(SYSTEMS)
        if number % 3 == 0:
            made.append((rng.choice(["rollback", "drain", "certificate", "throttling", system]), (), ()))
        elif number % 3 == 1:
            word = rng.choice(ACTIONS).split()[0].lower()
            made.append((f"{word} {system[: rng.randint(2, len(system))]}", (), ()))
        else:
            alert = f"{system.title()}{rng.choice(PARTS).title()}{rng.choice(PROBLEMS)[0]}"
            made.append(("", (f"{system}-{rng.choice(PARTS)}",), (alert,)))
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--import", dest="imported", type=int, default=1000, help="runbooks in the timed import")
    parser.add_argument("--library", type=int, default=2000, help="runbooks searched")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    os.environ.setdefault("COMMANDER_USER", "Bench")

    from commander.app.bootstrap import build_console
    from commander.app.runbooks import library as runbooks

    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="commander-bench-runbooks-") as temporary:
        root = Path(temporary)
        first = make_folder(root, args.imported, 0, rng)
        console = build_console(str(root / "store.db"))
        console.database  # noqa: B018  the writing side ready, as in a window that has been open a while
        started = time.perf_counter()
        report = runbooks.import_paths(console, [first])
        import_seconds = time.perf_counter() - started
        assert len(report.imported) == args.imported, report.skipped[:3]
        started = time.perf_counter()
        for path in sorted(first.rglob("*.md")):
            runbooks.read_file(path)
        parse_seconds = time.perf_counter() - started
        again = time.perf_counter()
        unchanged = runbooks.import_paths(console, [first])
        reimport_seconds = time.perf_counter() - again
        assert len(unchanged.unchanged) == args.imported

        if args.library > args.imported:
            runbooks.import_paths(console, [make_folder(root, args.library - args.imported, args.imported, rng)])
        console.close()
        console = build_console(str(root / "store.db"))  # a fresh process's first look at the library
        started = time.perf_counter()
        library = runbooks.library(console)
        fold_seconds = time.perf_counter() - started
        started = time.perf_counter()
        runbooks.index(console)
        index_seconds = time.perf_counter() - started
        timings, found = [], []
        for text, services, alerts in queries(args.queries, rng):
            started = time.perf_counter()
            hits = runbooks.search(console, text, services=services, alerts=alerts)
            timings.append(time.perf_counter() - started)
            found.append(len(hits))
        runbooks.mark_reviewed(console, next(iter(library)), "bench")
        started = time.perf_counter()
        runbooks.search(console, "rollback")
        after_change_seconds = time.perf_counter() - started
        console.close()

    timings.sort()
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    steps = sum(len(r.current.all_steps()) for r in library.values()) / max(1, len(library))
    print_table(
        f"Runbook library ({len(library):,} runbooks, {steps:.0f} steps each on average)",
        [
            Figure(
                f"import of {args.imported:,} Markdown runbooks (parse + one write)",
                import_seconds,
                "s",
                5.0,
                f"parsing alone {parse_seconds:.2f} s",
            ),
            Figure(
                f"re-import of the same {args.imported:,} (nothing changed)",
                reimport_seconds,
                "s",
                note="compares digests; writes nothing",
            ),
            Figure(
                f"search over {len(library):,}, median of {len(timings)} queries",
                statistics.median(timings) * 1000,
                "ms",
                50.0,
                f"{statistics.median(found):.0f} hits median",
            ),
            Figure(f"search over {len(library):,}, p99", p99 * 1000, "ms", 50.0),
            Figure(
                f"first read of the library ({len(library):,}): load and fold",
                fold_seconds * 1000,
                "ms",
                note="once per process",
            ),
            Figure("first search index build", index_seconds * 1000, "ms", note="once per process"),
            Figure(
                "first search after a change (one review): refold and rebuild",
                after_change_seconds * 1000,
                "ms",
                note="unchanged versions are not read again",
            ),
        ],
    )


if __name__ == "__main__":
    main()
