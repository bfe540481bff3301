"""Searching the library: what fits the incident first, then the text score; every word must be found."""

from __future__ import annotations

from commander.domain.runbooks import library as runbooks
from commander.domain.runbooks.library import Runbook, RunbookRecord, Section, Step
from commander.domain.runbooks.search import SearchIndex, words


def record(
    title: str,
    *,
    services: tuple[str, ...] = (),
    alerts: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
    steps: tuple[str, ...] = (),
    commands: tuple[str, ...] = (),
    context: str = "",
    retired: bool = False,
) -> RunbookRecord:
    listed = tuple(Step("", text, "mitigate") for text in steps) + tuple(
        Step("", "Run:", "mitigate", command) for command in commands
    )
    runbook = Runbook(
        runbooks.runbook_id_for(title=title),
        title,
        services=services,
        alerts=alerts,
        tags=tags,
        sections=runbooks.numbered([Section("Steps", listed, context)]),
    )
    return RunbookRecord(runbook, [runbook], retired=retired)


def library(*records: RunbookRecord) -> dict[str, RunbookRecord]:
    return {r.id: r for r in records}


def titles(index: SearchIndex, text: str, **kwargs: tuple[str, ...]) -> list[str]:
    return [hit.runbook.title for hit in index.search(text, **kwargs)]


LIBRARY = library(
    record("Checkout API returning 5xx", services=("checkout",), steps=("Roll back the deploy",)),
    record(
        "Database failover",
        services=("orders-db",),
        alerts=("PostgresPrimaryDown",),
        steps=("Promote the replica", "Point checkout at the new primary"),
    ),
    record("Kube Pod Crash Looping", alerts=("KubePodCrashLooping",), commands=("kubectl rollout undo deploy/x",)),
    record(
        "Restart the payment workers",
        tags=("payments",),
        steps=("Drain the queue first",),
        context="Rollback is rarely needed.",
    ),
    record("Old checkout runbook", services=("checkout",), retired=True),
)


def test_runbooks_that_fit_the_incident_come_first_alert_names_before_services() -> None:
    index = SearchIndex(LIBRARY)
    found = index.search("", services=("checkout",), alerts=("PostgresPrimaryDown",))
    assert [(hit.runbook.title, hit.why) for hit in found] == [
        ("Database failover", ("alert PostgresPrimaryDown",)),
        ("Checkout API returning 5xx", ("service checkout",)),
    ]
    # With text, the fitting ones still lead; the rest follow by how well the text fits.
    assert titles(index, "checkout", services=("orders-db",)) == ["Database failover", "Checkout API returning 5xx"]


def test_the_title_weighs_more_than_steps_and_steps_more_than_prose() -> None:
    index = SearchIndex(LIBRARY)
    assert titles(index, "checkout") == ["Checkout API returning 5xx", "Database failover"]
    assert titles(index, "rollback")[0] == "Restart the payment workers"  # only in its prose
    assert titles(index, "roll") == [
        "Checkout API returning 5xx",
        "Kube Pod Crash Looping",
        "Restart the payment workers",
    ]


def test_every_word_must_be_found_and_the_last_may_be_a_prefix() -> None:
    index = SearchIndex(LIBRARY)
    assert titles(index, "promote repl") == ["Database failover"]
    assert titles(index, "promote queue") == []
    assert titles(index, "kubectl und") == ["Kube Pod Crash Looping"]
    assert titles(index, "pay") == ["Restart the payment workers"]  # the tag and the title


def test_camel_case_alert_names_are_found_by_their_parts() -> None:
    index = SearchIndex(LIBRARY)
    assert titles(index, "crashloop") == ["Kube Pod Crash Looping"]
    assert titles(index, "KubePodCrash") == ["Kube Pod Crash Looping"]
    assert words("KubePodCrashLooping") >= {"kubepodcrashlooping", "kube", "pod", "crash", "looping", "crashlooping"}


def test_retired_runbooks_nothing_typed_and_a_single_letter_find_nothing() -> None:
    index = SearchIndex(LIBRARY)
    assert "Old checkout runbook" not in titles(index, "old checkout")
    assert titles(index, "") == []
    assert titles(index, "c") == []
    assert titles(index, "the") == []  # a common word alone finds nothing useful


def test_a_limit_keeps_the_best() -> None:
    many = library(*(record(f"Runbook {n:03d}", steps=("restart the service",)) for n in range(120)))
    found = SearchIndex(many).search("restart", limit=10)
    assert [hit.runbook.title for hit in found] == [f"Runbook {n:03d}" for n in range(10)]


def test_an_exact_alert_name_puts_its_runbook_first() -> None:
    index = SearchIndex(
        library(
            record(
                "etcd cluster health",
                steps=("If etcdMembersDown fires too, check the members",) * 3,
                context="etcdMembersDown etcdMembersDown",
            ),
            record("etcd Members Down", alerts=("etcdMembersDown",)),
            record("CPU throttling", steps=("Look at CPUThrottlingHigh first",) * 5),
            record("CPU Throttling High", alerts=("CPUThrottlingHigh",)),
        )
    )
    assert titles(index, "etcdMembersDown")[0] == "etcd Members Down"
    assert titles(index, "cputhrottlinghigh")[0] == "CPU Throttling High"  # any case
    assert titles(index, "etcd")[0] == "etcd cluster health"  # a word, not an alert's name: by the text
