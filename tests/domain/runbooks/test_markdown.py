"""Reading Markdown runbooks: the shapes teams keep in git, and every kind of bad input in issue 5."""

from __future__ import annotations

import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from commander.domain.runbooks.export import to_markdown
from commander.domain.runbooks.library import Runbook, Step, to_dict
from commander.domain.runbooks.markdown import MAX_DEPTH, MAX_STEPS, Parsed, parse_markdown

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "runbooks"


def parse(text: str, name: str = "runbook.md") -> Parsed:
    return parse_markdown(textwrap.dedent(text), name=name)


def steps(runbook: Runbook) -> list[tuple[int, str, str, str | None, str | None]]:
    return [(depth, step.id, step.text, step.command, step.link) for step, depth in runbook.all_steps()]


def fixture(relative: str) -> Parsed:
    path = FIXTURES / relative
    return parse_markdown(path.read_text(encoding="utf-8"), name=path.name)


def test_a_prometheus_operator_runbook_reads_as_sections_steps_and_prose() -> None:
    parsed = fixture("kubernetes/KubePodCrashLooping.md")
    runbook = parsed.runbook
    assert parsed.notes == ()
    assert runbook.title == "Kube Pod Crash Looping"  # the front matter's title over the heading
    assert runbook.alerts == ("KubePodCrashLooping",)  # the file and heading are named after the alert
    assert [s.title for s in runbook.sections] == ["Meaning", "Impact", "Diagnosis", "Mitigation"]
    assert runbook.summary.startswith("Pod is in CrashLoop which means the app dies")
    assert "restart it automatically." in runbook.sections[0].context
    diagnosis = runbook.sections[2]
    assert {step.kind for step, _ in runbook.all_steps() if step.id.startswith("s3.")} == {"diagnose"}
    assert diagnosis.steps[0] == Step(
        "s3.1",
        "Check template via `kubectl -n $NAMESPACE get pod $POD`.",
        "diagnose",
        "kubectl -n $NAMESPACE get pod $POD",
    )
    assert diagnosis.steps[3].command == "kubectl -n $NAMESPACE logs $POD -c $CONTAINER --previous"  # fenced
    oom = diagnosis.steps[4]
    assert [child.id for child in oom.children] == ["s3.5.1", "s3.5.2"]
    assert oom.children[0].command is None  # `Last State` is a name, not something to run
    mitigation = runbook.sections[3]
    assert mitigation.steps[0].kind == "mitigate"
    assert mitigation.steps[0].command == "kubectl -n $NAMESPACE rollout undo deployment/$DEPLOYMENT"
    assert (
        "Debug Running Pod (https://kubernetes.io/docs/tasks/debug-application-cluster/debug-running-pod/)"
        in mitigation.context
    )  # prose links keep their address, as text


def test_front_matter_fields_in_their_common_spellings() -> None:
    parsed = fixture("databases/postgres-replication-lag.md")
    runbook = parsed.runbook
    assert parsed.key == "postgres-replication-lag"
    assert runbook.title == "PostgreSQL replica lagging behind the primary"
    assert runbook.summary.startswith("A streaming replica is more than 60 seconds behind")
    assert runbook.services == ("orders-db", "reporting")
    assert runbook.alerts == ("PostgresReplicationLagHigh", "PostgresReplicaDown")
    assert runbook.tags == ("database", "postgres")
    assert runbook.owner == "Data Platform"
    assert runbook.reviewed_at == datetime(2026, 1, 12, tzinfo=UTC)
    assert runbook.contacts == ("Data Platform on-call (pagerduty: PDP1234)", "#data-platform on Slack")
    assert runbook.links[0] == ("Replication dashboard", "https://grafana.example.com/d/pg-replication")
    assert [(s.title, s.steps[0].kind) for s in runbook.sections] == [
        ("Diagnosis", "diagnose"),
        ("Mitigation", "mitigate"),
        ("Mitigation / Rollback", "mitigate"),
        ("Escalation", "escalate"),
        ("Communication", "communicate"),
    ]
    nested = runbook.sections[0].steps[1]
    assert [c.command for c in nested.children] == [
        'psql -c "SELECT client_addr, state, sent_lsn, replay_lsn FROM pg_stat_replication;"',
        'psql -c "SELECT status, received_lsn FROM pg_stat_wal_receiver;"',
    ]
    assert runbook.sections[0].steps[2].link == "https://grafana.example.com/d/pg-replication"
    assert runbook.sections[0].steps[2].text.endswith("see the dashboard.")  # the label stays in the text


def test_comma_lists_task_boxes_bare_links_and_indented_code_under_an_item() -> None:
    runbook = fixture("payments/checkout-5xx.md").runbook
    assert runbook.services == ("checkout", "payments-gateway")
    assert runbook.alerts == ("CheckoutHighErrorRate",)
    assert runbook.links == (("dashboard", "https://grafana.example.com/d/checkout"),)
    first, _, rollback, provider = runbook.sections[0].steps
    assert first.text == "Check the error rate by route on https://grafana.example.com/d/checkout."
    assert first.link == "https://grafana.example.com/d/checkout"  # without the full stop
    assert rollback.text == "Roll back the last deploy if errors started with it:"
    assert rollback.command == "kubectl -n checkout rollout undo deploy/checkout-api"
    assert provider.children[0].link == "https://flags.example.com/payments"
    assert [s.title for s in runbook.sections] == ["Steps", "Verify", "Communication"]
    assert runbook.sections[1].steps[0].kind == "verify"


def test_an_old_runbook_with_setext_headings_prompts_and_html() -> None:
    parsed = fixture("legacy/disk-full.md")
    runbook = parsed.runbook
    assert runbook.title == "Disk full on a database host"
    assert runbook.summary == "Written before we had a template. Still correct as of the last review."
    check, act = runbook.sections
    assert check.title == "What to check" and check.steps[0].kind == "diagnose"
    assert check.steps[0].text == "You can see the usage per mount like this:"  # the paragraph before the block
    assert check.steps[0].command == "df -h"  # the prompt's line, not the output
    assert act.steps[1].text == "Grow the volume (ask the storage team) before it reaches 100%."
    assert act.steps[2].text == "Tell the team in #db."  # the script and its content are gone
    assert "never run" not in to_markdown(runbook)


@pytest.mark.parametrize("relative", sorted(str(p.relative_to(FIXTURES)) for p in FIXTURES.rglob("*.md")))
def test_writing_a_runbook_as_markdown_reads_back_the_same(relative: str) -> None:
    runbook = fixture(relative).runbook
    again = parse_markdown(to_markdown(runbook), name=Path(relative).name).runbook
    assert to_dict(again) == to_dict(runbook)


def test_broken_front_matter_is_noted_and_the_body_imported() -> None:
    parsed = parse("""\
        ---
        title: Cache miss storm
        services: [cache
        ---
        # Cache miss storm

        - Warm the cache
        """)
    assert parsed.notes == ("The front matter is not valid YAML (line 3): imported the rest without it.",)
    assert parsed.runbook.title == "Cache miss storm"
    assert [s[2] for s in steps(parsed.runbook)] == ["Warm the cache"]


def test_front_matter_without_its_closing_line() -> None:
    parsed = parse("---\ntitle: x\n# Restart the worker\n\n- Restart it\n")
    assert "no closing '---'" in parsed.notes[0]
    assert [s[2] for s in steps(parsed.runbook)] == ["Restart it"]


def test_two_rules_around_plain_text_are_not_front_matter() -> None:
    parsed = parse("---\n# Title here\n\nSome words.\n---\n\n- Step\n")
    assert parsed.notes == ()
    assert parsed.runbook.title == "Title here"


def test_a_file_without_headings_is_one_section_named_after_the_file() -> None:
    parsed = parse(
        "Restart the cache when it fills.\n\n1. Flush it: `redis-cli FLUSHDB`\n2. Watch the hit rate\n",
        name="restart-the-cache.md",
    )
    runbook = parsed.runbook
    assert runbook.title == "Restart the cache"
    assert runbook.summary == "Restart the cache when it fills."
    assert [s.title for s in runbook.sections] == ["Steps"]
    assert steps(runbook) == [
        (0, "s1.1", "Flush it: `redis-cli FLUSHDB`", "redis-cli FLUSHDB", None),
        (0, "s1.2", "Watch the hit rate", None, None),
    ]


def test_a_file_with_prose_only_has_no_steps_and_says_so() -> None:
    parsed = parse("# Who owns billing\n\nThe billing team, on #billing.\n")
    assert parsed.runbook.sections == ()
    assert parsed.notes == ("No list items or code blocks: the runbook has no steps, only text.",)


def test_lists_nested_deeper_than_the_limit_are_kept_at_the_deepest_level() -> None:
    lines = [f"{'  ' * depth}- level {depth + 1}" for depth in range(9)]
    parsed = parse("# Deep\n\n## Steps\n\n" + "\n".join(lines) + "\n- back at the top\n")
    found = [(depth, text) for depth, _, text, _, _ in steps(parsed.runbook)]
    assert found[:MAX_DEPTH] == [(d, f"level {d + 1}") for d in range(MAX_DEPTH)]
    assert found[MAX_DEPTH:] == [
        (MAX_DEPTH - 1, "level 7"),
        (MAX_DEPTH - 1, "level 8"),
        (MAX_DEPTH - 1, "level 9"),
        (0, "back at the top"),
    ]
    assert parsed.notes == (
        f"Lists nested deeper than {MAX_DEPTH} levels: the deeper items were kept at level {MAX_DEPTH}.",
    )


def test_html_is_text_only_and_scripts_vanish_with_their_content() -> None:
    parsed = parse("""\
        # Payments <em>down</em>

        <!-- a comment
        over lines -->
        <script>
        fetch("https://evil.example.com")
        </script>
        <p>Customers <b>cannot</b> pay.</p>

        ## Steps

        - Open <a href="https://status.example.com">the status page</a> and <img src=x onerror=alert(1)>post
        - Click <a href="javascript:alert(1)">here</a>
        - Escaped: &lt;script&gt;alert(1)&lt;/script&gt; stays out, `<b>code</b>` stays as written
        - Replace <namespace> with yours
        """)
    runbook = parsed.runbook
    assert runbook.title == "Payments down"
    assert runbook.summary == "Customers cannot pay."
    found = runbook.sections[0].steps
    assert (found[0].text, found[0].link) == ("Open the status page and post", "https://status.example.com")
    assert (found[1].text, found[1].link) == ("Click here", None)
    assert found[2].text == "Escaped: stays out, `<b>code</b>` stays as written"  # entities spelling a script
    assert found[3].text == "Replace <namespace> with yours"  # a placeholder, not markup
    assert "evil" not in str(to_dict(runbook)) and "onerror" not in str(to_dict(runbook))


def test_a_block_on_its_own_is_a_step_and_output_blocks_stay_in_the_prose() -> None:
    runbook = parse("""\
        # Queue backlog

        ## Diagnosis

        ```bash
        kubectl -n queue get pods
        ```

        The alert looks like this:

        ```yaml
        alertname: QueueBacklog
        ```

        Check the consumer lag:

        ```
        $ kafka-consumer-groups --describe --group billing
        GROUP  TOPIC  LAG
        ```
        """).runbook
    section = runbook.sections[0]
    assert [(s.text, s.command) for s in section.steps] == [
        ("Run this command:", "kubectl -n queue get pods"),  # no sentence before it at all
        ("Check the consumer lag:", "kafka-consumer-groups --describe --group billing"),
    ]
    assert section.steps[1].output == "GROUP  TOPIC  LAG"  # after the prompt's command: its output
    assert section.context == "The alert looks like this:\n\n```yaml\nalertname: QueueBacklog\n```"


def test_several_blocks_under_one_item_are_never_joined() -> None:
    runbook = parse("""\
        ## Mitigation

        1. Restart both workers:
           ```
           systemctl restart worker-a
           ```
           ```
           systemctl restart worker-b
           ```
        2. Done
        """).runbook
    first, second = runbook.sections[0].steps
    assert first.command == "systemctl restart worker-a"  # one paste runs one block (issue 12)
    assert [(c.text, c.command) for c in first.children] == [("Also run:", "systemctl restart worker-b")]
    assert second.text == "Done"


def test_reference_links_continuation_lines_and_paragraphs_inside_items() -> None:
    runbook = parse("""\
        ## Steps

        * Check the [dashboard][grafana] for
          the error budget
        * Roll back

          Only if the deploy is less than an hour old.

        [grafana]: https://grafana.example.com/d/slo
        """).runbook
    check, roll = runbook.sections[0].steps
    assert (check.text, check.link) == ("Check the dashboard for the error budget", "https://grafana.example.com/d/slo")
    assert roll.text == "Roll back Only if the deploy is less than an hour old."


def test_deeper_headings_without_a_title_heading() -> None:
    runbook = parse("### Diagnosis\n\n- a\n\n#### By hand\n\n- b\n\n### Escalation\n\n- c\n", name="x.md").runbook
    assert runbook.title == "X"
    assert [s.title for s in runbook.sections] == ["Diagnosis", "Diagnosis / By hand", "Escalation"]
    assert [s.steps[0].kind for s in runbook.sections] == ["diagnose", "diagnose", "escalate"]


def test_control_characters_and_windows_line_ends_are_cleaned() -> None:
    runbook = parse("# Title\x1b[31m\r\n\r\n## Steps\r\n\r\n- Step\x07 one\r\n").runbook
    assert runbook.title == "Title[31m"
    assert runbook.sections[0].steps[0].text == "Step one"


def test_only_web_links_are_kept_from_front_matter() -> None:
    parsed = parse("---\nlinks:\n  Grafana: https://g.example.com\n  Wiki: file:///etc/passwd\n---\n# T\n- s\n")
    assert parsed.runbook.links == (("Grafana", "https://g.example.com"),)
    assert parsed.notes == (
        "Front matter: the link 'file:///etc/passwd' is not a web address (http or https): left out.",
    )


def test_a_review_date_that_is_not_a_date_is_noted() -> None:
    parsed = parse("---\nreviewed: last spring\n---\n# T\n\n- s\n")
    assert parsed.runbook.reviewed_at is None
    assert parsed.notes == ("Front matter: reviewed 'last spring' is not a date; write it as 2026-01-31.",)


def test_an_explicit_empty_alert_list_is_not_guessed_from_the_title() -> None:
    text = "---\nalerts: []\n---\n# KubeCPUOvercommit\n\n- s\n"
    assert parse(text, name="KubeCPUOvercommit.md").runbook.alerts == ()
    assert parse(text.replace("alerts: []\n", "owner: x\n"), name="KubeCPUOvercommit.md").runbook.alerts == (
        "KubeCPUOvercommit",
    )


def test_more_steps_than_the_limit_are_left_out_with_a_note() -> None:
    parsed = parse("# Many\n\n" + "- step\n" * (MAX_STEPS + 10) + "\n## After\n\n- never read\n")
    assert len(parsed.runbook.all_steps()) == MAX_STEPS
    assert parsed.notes == (f"More than {MAX_STEPS:,} steps: the rest of the file was left out.",)


@pytest.mark.parametrize(
    "line",
    [
        "[" * 200_000,
        "[x](" * 50_000,
        "<a b=" * 40_000,
        "<script>" * 25_000,
        "`" * 200_000,
        "A" + "a" * 5 + "A" * 150 + "!",
    ],
)
def test_hostile_lines_are_read_in_linear_time(line: str) -> None:
    """Each of these took minutes (or forever) with a backtracking pattern; now well under a second."""
    started = time.perf_counter()
    parse_markdown(f"# {line}\n\n{line}\n\n- {line}\n", name="hostile.md")
    assert time.perf_counter() - started < 5
