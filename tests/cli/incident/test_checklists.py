"""`commander checklist`: attach from the library or a role's duties, list, tick, skip, assign, findings,
suggest, detach, export; refusals that say what to do."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from tests.cli.conftest import Run, refused

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "runbooks"


def _with_library(run: Run, declare: Callable[..., str]) -> str:
    # A copy outside the checkout: inside it, the files' last git commit would count as their review.
    copy = Path(tempfile.mkdtemp(prefix="runbooks-")) / "runbooks"
    shutil.copytree(FIXTURES, copy)
    assert run("runbook", "import", str(copy)).code == 0
    return declare()


def test_attach_work_through_and_list(run: Run, declare: Callable[..., str]) -> None:
    ref = _with_library(run, declare)
    attached = run("checklist", "attach", ref, "KubeNodeNotReady")
    assert attached.code == 0, attached.err
    assert attached.out == f"{ref}  checklist 1 attached: Kube Node Not Ready (runbook v1, 6 steps)\n"
    assert "this runbook is stale (never reviewed)" in attached.err
    duties = run("checklist", "role", ref, "IC")
    assert duties.out == f"{ref}  checklist 2 attached: Incident Commander duties (7 steps)\n"

    checked = run("checklist", "check", ref, "1", "1")
    assert checked.code == 0 and checked.out.startswith(f"{ref}  Checked: Log in to the cluster.")
    assert checked.out.rstrip().endswith("(Diagnosis) — Kube Node Not Ready")
    skipped = run("checklist", "skip", ref, "kube node", "cordon", "--reason", "the autoscaler cordoned it")
    assert skipped.out.rstrip().endswith("— Kube Node Not Ready, because the autoscaler cordoned it")
    assert run("checklist", "assign", ref, "1", "3", "TL").out.rstrip().endswith("to TL — Kube Node Not Ready")
    assert "Finding on “Log in to the cluster." in run("checklist", "finding", ref, "1", "1", "node-7", "NotReady").out
    assert run("checklist", "check", ref, "Incident Commander", "2").code == 0
    assert run("checklist", "assign", ref, "1", "3", "--clear").out.startswith(f"{ref}  Unassigned “Drain it:")

    listed = run("checklist", "list", ref).out.splitlines()
    assert listed[0] == "1  Kube Node Not Ready  runbook v1  2 of 6 done or skipped"
    assert listed[1].startswith("  1  [x] Log in to the cluster.") and "done by Alex" in listed[1]
    assert listed[1].endswith("1 finding")
    assert listed[2].startswith("  2  [-] Cordon the node") and "skipped by Alex" in listed[2]
    assert listed[3].startswith("  3  [ ] Drain it:") and "assigned" not in listed[3]
    assert "2  Incident Commander duties  role duties  1 of 7 done or skipped" in listed

    document = run("checklist", "list", ref, "--json").json()
    assert [c["title"] for c in document] == ["Kube Node Not Ready", "Incident Commander duties"]
    first = document[0]
    assert (first["number"], first["version"], first["role"], first["done"], first["total"]) == (1, 1, None, 2, 6)
    step = first["steps"][0]
    assert (step["state"], step["by"], step["section"], step["kind"]) == ("done", "Alex", "Diagnosis", "diagnose")
    assert step["command"] == "kubectl get node $NODE -o yaml"
    assert [f["text"] for f in step["findings"]] == ["node-7 NotReady"]
    assert document[1]["role"] == "incident_commander" and document[1]["runbook"] is None

    unchecked = run("checklist", "uncheck", ref, "1", "1")
    assert unchecked.out.startswith(f"{ref}  Unchecked: Log in to the cluster.")
    assert "Checked: Log in to the cluster." in run("show", ref).out  # the timeline keeps every change


def test_export_suggest_and_detach(run: Run, declare: Callable[..., str], tmp_path: Path) -> None:
    ref = _with_library(run, declare)
    run("checklist", "attach", ref, "KubeNodeNotReady")
    run("checklist", "check", ref, "1", "1")
    printed = run("checklist", "export", ref, "1")
    assert printed.code == 0 and printed.out.startswith("## Checklist: Kube Node Not Ready\n")
    assert "- [x] Log in to the cluster. Check the status of that node: — done by Alex at" in printed.out
    out = tmp_path / "checklist.md"
    written = run("checklist", "export", ref, "kube", "--out", str(out))
    assert (written.code, written.out) == (0, "")
    assert out.read_text(encoding="utf-8") == printed.out

    suggested = run("checklist", "suggest", ref, "1", "--step", "2", "Cordon", "before", "draining")
    assert suggested.code == 0 and "suggestion recorded on “Kube Node Not Ready” (step s4.1)" in suggested.out
    whole = run("checklist", "suggest", ref, "1", "Add a verify step for the replacement node")
    assert "(the runbook)" in whole.out

    detached = run("checklist", "detach", ref, "1", "--reason", "wrong alert")
    assert detached.out == f"{ref}  Detached “Kube Node Not Ready”: wrong alert\n"
    assert "no checklists" in run("checklist", "list", ref).out
    assert "(detached by Alex)" in run("checklist", "list", ref, "--all").out
    refused(run("checklist", "check", ref, "1", "2"), "was detached by Alex", "Attach the runbook again")
    assert run("checklist", "attach", ref, "KubeNodeNotReady").code == 0  # after detaching: attach again


def test_refusals_say_what_to_do(run: Run, declare: Callable[..., str]) -> None:
    ref = _with_library(run, declare)
    refused(
        run("checklist", "check", ref, "1", "1"),
        f"{ref} has no checklists",
        f"commander checklist attach {ref} RUNBOOK",
    )
    refused(run("checklist", "attach", ref, "no-such-runbook"), "No runbook matches 'no-such-runbook'")
    run("checklist", "attach", ref, "KubeNodeNotReady")
    refused(run("checklist", "attach", ref, "KubeNodeNotReady"), "already attached", "checklist 1")
    refused(run("checklist", "check", ref, "7", "1"), "has no checklist 7", f"commander checklist list {ref}")
    refused(run("checklist", "check", ref, "1", "99"), "has no step '99'", "1 to 6")
    run("checklist", "check", ref, "1", "1")
    refused(run("checklist", "check", ref, "1", "1"), "is already checked by Alex")
    refused(run("checklist", "skip", ref, "1", "2", "--reason", " "), "reason for skipping is empty")
    refused(run("checklist", "role", ref, "chef"), "no duty checklist", "Roles with one: Incident Commander")
    refused(run("checklist", "suggest", ref, "1", "--step", "nope", "text"), "has no step 'nope'")
    assert run("checklist", "skip", ref, "1", "2").code == 2  # --reason is required: a usage error
    run("checklist", "role", ref, "scribe")
    refused(run("checklist", "suggest", ref, "2", "more duties"), "comes from the policy, not from a runbook")
    refused(run("checklist", "export", ref, "1", "--out", str(Path("/nonexistent/dir/x.md"))), "Cannot write")
