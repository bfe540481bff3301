"""Issue 12: real runbooks read right. The corpus in tests/fixtures/runbook-corpus/ has the shapes large
open-source projects keep (kube-prometheus, OpenShift, ACM); each case asserts structure. It sits beside
tests/fixtures/runbooks/ because other tests import that whole folder and count what they find."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from commander.domain.runbooks.export import to_markdown
from commander.domain.runbooks.library import Runbook, Step, from_dict, to_dict
from commander.domain.runbooks.markdown import parse_markdown

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "runbook-corpus"
CORPUS = sorted(FIXTURES.rglob("*.md"))


def read(relative: str) -> Runbook:
    path = FIXTURES / relative
    return parse_markdown(path.read_text(encoding="utf-8"), name=path.name).runbook


def parse(text: str, name: str = "runbook.md") -> Runbook:
    return parse_markdown(textwrap.dedent(text), name=name).runbook


def texts(steps: tuple[Step, ...]) -> list[str]:
    return [step.text for step in steps]


def test_the_sentence_before_a_block_is_its_step_in_place_and_prose_sections_stay_prose() -> None:
    runbook = read("etcd/etcdMembersDown.md")
    meaning, impact, diagnosis, mitigation = runbook.sections
    assert (meaning.steps, impact.steps) == ((), ())  # Meaning's list of metric names describes
    assert "* `etcd_server_has_leader`" in meaning.context
    assert texts(diagnosis.steps) == [
        "Check the health of the master nodes:",
        "Check if an etcd member pod is crash looping, and read its logs:",
    ]
    assert "Check the health" not in diagnosis.context  # not moved to the top, not left as prose
    assert not any(step.text in ("Run:", "") for step, _ in runbook.all_steps())


def test_a_console_prompt_is_stripped_and_its_output_shown_not_copied() -> None:
    health = read("etcd/etcdMembersDown.md").sections[2].steps[0]
    assert (health.command, health.language) == ("oc get nodes -l node-role.kubernetes.io/master=", "console")
    assert health.output.startswith("NAME       STATUS") and "master-0   Ready" in health.output


def test_backslash_continuations_are_one_whole_command() -> None:
    logs = read("etcd/etcdMembersDown.md").sections[2].steps[1]
    assert logs.command == "kubectl -n openshift-etcd logs \\\n  -l app=etcd \\\n  --tail=200 -c etcd"


def test_an_output_block_on_its_own_is_preformatted_prose_not_a_step() -> None:
    diagnosis = read("etcd/etcdMembersDown.md").sections[2]
    assert "```text\n2025-03-02 10:11:12 W | rafthttp" in diagnosis.context
    assert len(diagnosis.steps) == 2


def test_an_alternatively_block_is_its_own_choice_never_joined() -> None:
    restart, alternative = read("etcd/etcdMembersDown.md").sections[3].steps
    assert restart.command == "oc -n openshift-etcd delete pod etcd-master-0"
    assert alternative.text.startswith("Alternatively, restart the static pod")
    assert alternative.command == (
        "ssh core@master-0 sudo mv /etc/kubernetes/manifests/etcd-pod.yaml /tmp/\n"
        "ssh core@master-0 sudo mv /tmp/etcd-pod.yaml /etc/kubernetes/manifests/"
    )


def test_a_query_is_a_query_and_an_example_is_output() -> None:
    runbook = read("etcd/CPUThrottlingHigh.md")
    query, compare = runbook.sections[1].steps
    assert (query.command_kind, query.language) == ("query", "promql")
    assert query.command is not None and query.command.startswith("sum(increase(container_cpu_cfs_throttled")
    assert query.command.endswith("by (container, pod, namespace) > 0.25")  # both lines, one box
    assert compare.command == "kubectl -n $NAMESPACE get pod $POD -o yaml"  # "run `...`": an instruction
    assert compare.output == "resources:\n  limits:\n    cpu: 500m"  # the example, not a command
    assert runbook.sections[2].steps[0].language == "shell"


def test_inline_code_is_a_command_only_where_the_step_asks_to_run_it() -> None:
    runbook = parse("""\
        ## Diagnosis

        - The `kubectl get` commands (listing pods, nodes) show requests only.
        - Set `long: 1h` on the rule.
        - Look at `Last State` in the describe output.
        - Restart it: `systemctl restart worker`
        - Check the pods with `kubectl get pods -n web`.
        - `kubectl top pods`
        """)
    assert [step.command for step in runbook.sections[0].steps] == [
        None,
        None,
        None,
        "systemctl restart worker",
        "kubectl get pods -n web",
        "kubectl top pods",
    ]


def test_nested_items_with_blocks_and_heredocs_and_script_comments() -> None:
    runbook = read("acm/ACMThanosCompactHalted.md")
    summary, resolution, verification = runbook.sections
    logs, corrupt = resolution.steps
    assert logs.command == (
        "# the compactor runs as a stateful set\n"  # a comment in bash, not a prompt
        "oc -n open-cluster-management-observability logs \\\n"
        "  observability-thanos-compact-0 | grep -i halt"
    )
    marker, upload = corrupt.children
    assert marker.command == (
        'cat <<EOF > deletion-mark.json\n{"id": "01FXYZ", "deletion_time": 1700000000, "version": 1}\nEOF'
    )
    assert upload.text == "Upload it next to the block, then restart the compactor:"
    assert (summary.steps, [s.kind for s in resolution.steps], verification.steps[0].kind) == (
        (),
        ["mitigate"] * 2,
        "verify",
    )


def test_deprecated_titles_give_the_alert_name_and_a_tag() -> None:
    runbook = read("acm/ACMThanosCompactHalted.md")
    assert runbook.alerts == ("ACMThanosCompactHalted",)
    assert runbook.tags == ("deprecated",)


@pytest.mark.parametrize(
    ("name", "heading", "alerts"),
    [
        ("etcdMembersDown.md", "# etcdMembersDown", ("etcdMembersDown",)),
        ("CPUThrottlingHigh.md", "# CPU Throttling High", ("CPUThrottlingHigh",)),  # the heading differs
        ("HCOInstallationIncomplete.md", "# HCO installation", ("HCOInstallationIncomplete",)),
        ("Watchdog.md", "# Watchdog", ("Watchdog",)),
        ("networking.md", "# KubeProxyDown", ("KubeProxyDown",)),  # from the heading
        ("Networking.md", "# How our network works", ()),  # one word, not said by the heading: not an alert
        ("disk-full.md", "# Disk full", ()),
        ("README.md", "# Runbooks", ()),
    ],
)
def test_alert_names_from_the_file_name_else_the_heading(name: str, heading: str, alerts: tuple[str, ...]) -> None:
    assert parse(f"{heading}\n\n## Steps\n\n- Look\n", name=name).alerts == alerts


def test_front_matter_alerts_win_over_the_file_name() -> None:
    assert parse("---\nalerts: [KubeAPIDown]\n---\n# x\n\n- s\n", name="KubeAPIErrorsHigh.md").alerts == (
        "KubeAPIDown",
    )


def test_tables_admonitions_and_shortcut_reference_links() -> None:
    runbook = read("general/Watchdog.md")
    description, steps = runbook.sections
    assert runbook.alerts == ("Watchdog",)
    assert "| Setting | Value |\n|---|---|\n| severity | none |" in description.context
    assert "> **Tip: Use a dead man's switch**\n> Route it to a service" in description.context
    assert "`alertmanager` (https://prometheus.io/docs/alerting/latest/alertmanager/)" in description.context
    assert "dead man's switch (https://en.wikipedia.org/wiki/Dead_man%27s_switch)" in description.context
    assert "> **Warning**\n> Never silence this alert." in steps.context  # GitHub's > [!WARNING]
    assert "| Receiver | Where |\n|---|---|\n| deadmans-snitch | https://deadmanssnitch.com |" in steps.context
    assert texts(steps.steps) == [  # the footnote links "1", "2" stay prose
        "Check that the Alertmanager pods run: `kubectl -n monitoring get pods -l app.kubernetes.io/name=alertmanager`",
        "Check the receivers in the table below:",
    ]
    assert "* 1 (https://prometheus.io/docs/alerting/latest/alertmanager/)" in steps.context


def _fenced_blocks(source: str) -> list[str]:
    return [m[2] for m in re.finditer(r"^( *)```[^\n]*\n(.*?)\n\1```", source, re.MULTILINE | re.DOTALL)]


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_copy_gives_the_source_command_byte_for_byte(path: Path) -> None:
    """Every command is, line for line, the block's own text (a prompt taken off where there is one)."""
    source = path.read_text(encoding="utf-8")
    lines = {line.strip() for block in _fenced_blocks(source) for line in block.split("\n")}
    runbook = parse_markdown(source, name=path.name).runbook
    commands = [step.command for step, _ in runbook.all_steps() if step.command]
    assert commands
    for command in commands:
        for line in command.split("\n"):
            assert line.strip() in lines or f"$ {line.strip()}" in lines or f"`{command}`" in source, line
            assert line in source  # exact bytes, indentation of continuation lines included


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_stored_and_read_back_unchanged(path: Path) -> None:
    runbook = read(str(path.relative_to(FIXTURES)))
    assert to_dict(from_dict(to_dict(runbook))) == to_dict(runbook)


def test_a_runbook_stored_before_the_new_fields_keeps_its_content() -> None:
    stored = {"title": "T", "sections": [{"title": "Steps", "steps": [{"text": "Do it", "command": "ls"}]}]}
    step = from_dict(stored).sections[0].steps[0]
    assert (step.command, step.command_kind, step.language, step.output) == ("ls", "", "", "")
    assert to_dict(from_dict(stored))["sections"][0]["steps"][0] == {
        "text": "Do it",
        "kind": "mitigate",
        "command": "ls",
    }


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_written_as_markdown_it_reads_back_the_same(path: Path) -> None:
    runbook = read(str(path.relative_to(FIXTURES)))
    assert to_dict(parse_markdown(to_markdown(runbook), name=path.name).runbook) == to_dict(runbook)
