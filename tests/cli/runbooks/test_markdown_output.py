"""The terminal shows a runbook's Markdown as its plain words: no `**`, backticks or `[text](url)`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.cli.conftest import Run

RUNBOOK = """\
title: "`KubePodCrashLooping` **pods**"
summary: "Pods restart **again and again**."
sections:
  - title: "**Diagnosis**"
    context: |
      Read the [pod lifecycle](https://kubernetes.io/docs/pods/) first.

      - `restarts` counts _every_ restart
    steps:
      - text: "Find the pods with the **most restarts** using `kubectl get pods -A`"
        command: kubectl get pods -A
      - text: "Read [the guide](https://example.org/g) for __OOMKilled__ pods"
"""


def _imported(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "runbooks"
    folder.mkdir()
    (folder / "crash.yaml").write_text(RUNBOOK, encoding="utf-8")
    assert run("runbook", "import", str(folder)).code == 0


def test_runbook_show_prints_the_plain_words(run: Run, tmp_path: Path) -> None:
    _imported(run, tmp_path)
    shown = run("runbook", "show", "KubePodCrashLooping")
    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    assert lines[0] == "KubePodCrashLooping pods"
    assert "Pods restart again and again." in lines
    assert "## Diagnosis" in lines
    assert "Read the pod lifecycle (https://kubernetes.io/docs/pods/) first." in lines
    assert "- restarts counts every restart" in lines
    assert any(line.endswith("Find the pods with the most restarts using kubectl get pods -A") for line in lines)
    assert any(line.endswith("Read the guide (https://example.org/g) for OOMKilled pods") for line in lines)
    assert "   $ kubectl get pods -A" in shown.out  # commands stay exactly as written
    assert "**" not in shown.out and "`" not in shown.out and "](" not in shown.out and "_every_" not in shown.out


def test_checklist_list_and_check_print_the_plain_words(run: Run, declare: Callable[..., str], tmp_path: Path) -> None:
    _imported(run, tmp_path)
    ref = declare()
    attached = run("checklist", "attach", ref, "KubePodCrashLooping")
    assert attached.out.startswith(f"{ref}  checklist 1 attached: KubePodCrashLooping pods (runbook v1, 2 steps)")
    checked = run("checklist", "check", ref, "1", "1")
    assert checked.out.startswith(
        f"{ref}  Checked: Find the pods with the most restarts using kubectl get pods -A "
        f"(Diagnosis) — KubePodCrashLooping pods"
    )
    listed = run("checklist", "list", ref).out
    assert "[x] Find the pods with the most restarts using kubectl get pods -A" in listed
    assert "[ ] Read the guide (https://example.org/g) for OOMKilled pods" in listed
    assert "**" not in listed and "`" not in listed
    exported = run("checklist", "export", ref, "1").out
    assert "- [x] Find the pods with the **most restarts** using `kubectl get pods -A`" in exported
    assert "\\*" not in exported


CONTINUED = """\
# EtcdDown

## Diagnosis

1. Count the members that are up:
   ```promql
   sum(up{job="etcd"})
   ```
2. Read the logs of every member:
   ```bash
   kubectl -n openshift-etcd logs \\
     -l app=etcd --tail=200
   ```
3. List the nodes:
   ```console
   $ oc get nodes
   NAME       STATUS
   master-0   Ready
   ```
"""


def test_runbook_show_prints_a_command_whole_a_query_as_a_query_and_output_apart(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "md"
    folder.mkdir()
    (folder / "EtcdDown.md").write_text(CONTINUED, encoding="utf-8")
    assert run("runbook", "import", str(folder)).code == 0
    lines = run("runbook", "show", "EtcdDown").out.splitlines()
    at = lines.index('             promql> sum(up{job="etcd"})')
    assert not lines[at - 1].strip().startswith("$")
    start = lines.index("             $ kubectl -n openshift-etcd logs \\")
    assert lines[start + 1] == "                 -l app=etcd --tail=200"  # the continuation, without a second "$ "
    nodes = lines.index("             $ oc get nodes")
    assert lines[nodes + 1 : nodes + 3] == ["             | NAME       STATUS", "             | master-0   Ready"]
