"""`commander runbook show --json`: the structured runbook, compared against its source file (issue 12)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.cli.conftest import Run

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "runbook-corpus"


def test_show_json_gives_sections_steps_and_the_exact_commands(run: Run, tmp_path: Path) -> None:
    folder = Path(shutil.copytree(CORPUS / "etcd", tmp_path / "etcd"))
    assert run("runbook", "import", str(folder)).code == 0
    shown = run("runbook", "show", "etcdMembersDown.md", "--json")
    assert shown.code == 0, shown.err
    data = shown.json()
    assert (data["title"], data["alerts"], data["tags"]) == ("etcd Members Down", ["etcdMembersDown"], [])
    assert data["source"].endswith("etcdMembersDown.md")
    assert [(s["title"], s["kind"]) for s in data["sections"]] == [
        ("Meaning", "prose"),
        ("Impact", "prose"),
        ("Diagnosis", "steps"),
        ("Mitigation", "steps"),
    ]
    health, logs = data["sections"][2]["steps"]
    assert health["text"] == "Check the health of the master nodes:" and health["kind"] == "diagnose"
    assert health["commands"] == [
        {"kind": "command", "language": "console", "text": "oc get nodes -l node-role.kubernetes.io/master="},
        {
            "kind": "output",
            "language": "",
            "text": "NAME       STATUS   ROLES    AGE   VERSION\nmaster-0   Ready    master   12d   v1.27.3",
        },
    ]
    source = (folder / "etcdMembersDown.md").read_text(encoding="utf-8")
    assert logs["commands"][0]["text"] in source  # the continuation lines exactly as written
    assert logs["commands"][0]["text"].count("\\\n") == 2 and logs["steps"] == [] and logs["links"] == []
    throttled = run("runbook", "show", "CPUThrottlingHigh.md", "--json").json()
    assert throttled["sections"][1]["steps"][0]["commands"][0]["kind"] == "query"
