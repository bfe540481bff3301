"""Checklists on an incident: attached from a runbook or a role's duties, ticked, skipped, assigned, found
out about; converging across consoles; kept in snapshots; exported as Markdown."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from commander.domain.checklists import checklists
from commander.domain.checklists.checklists import Checklist, find_checklist, find_step
from commander.domain.checklists.export import to_markdown
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Actor, Event
from commander.domain.core.policy import Policy
from commander.domain.core.when import iso
from commander.domain.incident import decisions, snapshot
from commander.domain.timeline.entries import IncidentView
from tests.helpers.checklist_samples import NODE_NOT_READY, SampleRunbook, SampleSection, SampleStep, long_runbook
from tests.helpers.replica import INCIDENT_ID, NOW, Replica

BERLIN = ZoneInfo("Europe/Berlin")


def _attach(r: Replica, runbook: SampleRunbook = NODE_NOT_READY) -> Checklist:
    [event] = r.act(lambda s: checklists.attach_runbook(s, runbook))
    return r.state().checklists[event.id]


def _view(r: Replica) -> IncidentView:
    view = IncidentView(INCIDENT_ID, r.policy, iso)
    view.load(r.known.values())
    return view


def _checklist_texts(r: Replica) -> list[str]:
    return [e.text for e in _view(r).entries if e.category == "checklist"]


def test_attaching_copies_the_steps_in_order_with_depth_and_section(declared: Replica) -> None:
    checklist = _attach(declared)
    assert [(s.id, s.depth, s.section, s.kind) for s in checklist.steps.values()] == [
        ("s1.1", 0, "Diagnosis", "diagnose"),
        ("s1.2", 0, "Diagnosis", "diagnose"),
        ("s2.1", 0, "Mitigation", "mitigate"),
        ("s2.1.1", 1, "Mitigation", "mitigate"),
        ("s3.1", 0, "Escalation", "escalate"),
    ]
    step = checklist.steps["s1.2"]
    assert step.command == "journalctl -u kubelet --since -30m" and step.link == "https://grafana.example.com/d/kubelet"
    assert (checklist.runbook, checklist.version, checklist.role, checklist.attached_by) == ("rb-node", 3, "", "Alex")
    assert checklist.progress == (0, 5)
    assert _checklist_texts(declared) == ["Attached runbook “K8s node not ready” (version 3, 5 steps)"]


def test_every_change_is_a_timeline_entry_in_plain_words(declared: Replica) -> None:
    r = declared
    checklist = _attach(r)
    c = checklist.id
    r.act(lambda s: checklists.set_step(s, c, "s2.1", "done"))
    r.act(lambda s: checklists.set_step(s, c, "s1.2", "skipped", reason="kubelet logs already in the ticket"))
    r.act(lambda s: checklists.assign_step(s, c, "s3.1", "TL"))
    r.act(lambda s: checklists.add_finding(s, c, "s1.1", "node-7 NotReady since 09:02"))
    r.act(lambda s: checklists.set_step(s, c, "s2.1", "open"))
    r.act(lambda s: checklists.assign_step(s, c, "s3.1", ""))
    r.act(lambda s: checklists.detach(s, c, "wrong runbook"))
    assert _checklist_texts(r)[1:] == [
        "Checked: Drain the node (Mitigation) — K8s node not ready",
        "Skipped: Look at the kubelet logs (Diagnosis) — K8s node not ready, because kubelet logs already in "
        "the ticket",
        "Assigned “Page the platform team” to TL — K8s node not ready",
        "Finding on “Check the node's conditions”: node-7 NotReady since 09:02",
        "Unchecked: Drain the node (Mitigation) — K8s node not ready",
        "Unassigned “Page the platform team” — K8s node not ready",
        "Detached “K8s node not ready”: wrong runbook",
    ]
    entries = [e for e in _view(r).entries if e.category == "checklist"]
    assert {e.actor for e in entries} == {"Alex"}


def test_state_progress_and_who_did_what(declared: Replica) -> None:
    r = declared
    c = _attach(r).id
    r.tick(timedelta(minutes=2))
    r.act(lambda s: checklists.set_step(s, c, "s1.1", "done"))
    r.act(lambda s: checklists.set_step(s, c, "s1.2", "skipped", reason="no access"))
    r.act(lambda s: checklists.add_finding(s, c, "s1.1", "disk pressure"))
    r.act(lambda s: checklists.add_finding(s, c, "s1.1", "kubelet restarted at 09:03"))
    checklist = r.state().checklists[c]
    first, second = checklist.steps["s1.1"], checklist.steps["s1.2"]
    assert (first.state, first.by, first.at) == ("done", "Alex", NOW + timedelta(minutes=2))
    assert (second.state, second.reason) == ("skipped", "no access")
    assert [f.text for f in first.findings] == ["disk pressure", "kubelet restarted at 09:03"]
    assert checklist.progress == (2, 5)
    r.act(lambda s: checklists.set_step(s, c, "s1.2", "open"))
    reopened = r.state().checklists[c].steps["s1.2"]
    assert (reopened.state, reopened.reason) == ("open", "")


def test_rules_refuse_with_a_sentence_that_says_what_to_do(declared: Replica, policy: Policy) -> None:
    r = declared
    c = _attach(r).id
    with pytest.raises(DomainError, match="already attached .*checklist 1"):
        r.act(lambda s: checklists.attach_runbook(s, NODE_NOT_READY))
    with pytest.raises(DomainError, match="reason for skipping is empty"):
        r.act(lambda s: checklists.set_step(s, c, "s1.1", "skipped", reason="  "))
    r.act(lambda s: checklists.set_step(s, c, "s1.1", "done"))
    with pytest.raises(DomainError, match="already checked by Alex"):
        r.act(lambda s: checklists.set_step(s, c, "s1.1", "done"))
    with pytest.raises(DomainError, match="no step 's9'"):
        r.act(lambda s: checklists.set_step(s, c, "s9", "done"))
    with pytest.raises(DomainError, match="not assigned to anyone"):
        r.act(lambda s: checklists.assign_step(s, c, "s1.1", ""))
    with pytest.raises(DomainError, match="finding is empty"):
        r.act(lambda s: checklists.add_finding(s, c, "s1.1", "\n"))
    prose = SampleRunbook("rb-prose", "Only prose", (SampleSection("Meaning"),))
    with pytest.raises(DomainError, match="has no steps to check"):
        r.act(lambda s: checklists.attach_runbook(s, prose))
    r.act(lambda s: checklists.detach(s, c))
    with pytest.raises(DomainError, match="was detached by Alex; .*Attach the runbook again"):
        r.act(lambda s: checklists.set_step(s, c, "s1.2", "done"))
    with pytest.raises(DomainError, match="already detached"):
        r.act(lambda s: checklists.detach(s, c))
    _attach(r)  # detached: the same runbook may be attached again
    r.act(lambda s: decisions.change_status(s, "closed", now=r.now()))
    with pytest.raises(DomainError, match="is closed, so its checklists no longer change. Reopen it first"):
        r.act(lambda s: checklists.attach_role(s, "IC", policy))


def test_a_long_runbook_is_refused_before_it_floods_the_log(declared: Replica) -> None:
    with pytest.raises(DomainError, match="has 1,001 steps; a checklist takes up to 1,000"):
        declared.act(lambda s: checklists.attach_runbook(s, long_runbook(1_001)))
    assert len(_attach(declared, long_runbook(200)).steps) == 200


def test_role_duty_checklists_come_from_the_policy(declared: Replica, policy: Policy) -> None:
    r = declared
    [event] = r.act(lambda s: checklists.attach_role(s, "IC", policy))
    checklist = r.state().checklists[event.id]
    commander = policy.role("incident_commander")
    assert commander is not None
    assert checklist.title == "Incident Commander duties" and checklist.role == "incident_commander"
    assert [s.text for s in checklist.steps.values()] == list(commander.checklist)
    assert checklist.source == "role duties"
    assert _checklist_texts(r) == [
        f"Attached the duty checklist “Incident Commander duties” ({len(commander.checklist)} steps)"
    ]
    with pytest.raises(DomainError, match="Incident Commander duty checklist is already attached"):
        r.act(lambda s: checklists.attach_role(s, "incident commander", policy))
    with pytest.raises(DomainError, match="gives 'Chef' no duty checklist. Roles with one: Incident Commander"):
        r.act(lambda s: checklists.attach_role(s, "Chef", policy))


def test_every_key_role_has_a_duty_checklist(policy: Policy) -> None:
    for key in ("incident_commander", "technical_lead", "communications_lead", "scribe"):
        role = policy.role(key)
        assert role is not None and len(role.checklist) >= 3, key


def test_two_consoles_ticking_the_same_step_converge_on_the_later_tick(declared: Replica, policy: Policy) -> None:
    alex = declared
    sam = Replica(2, policy, name="Sam")
    sam.receive(alex.known.values())
    c = _attach(alex).id
    sam.receive(alex.known.values())
    # Apart: Alex ticks the step, Sam (a moment later on his clock) skips it; both find something.
    alex.act(lambda s: checklists.set_step(s, c, "s2.1", "done"))
    alex.act(lambda s: checklists.add_finding(s, c, "s2.1", "3 pods stuck terminating"))
    sam.tick(timedelta(seconds=3))
    sam.act(lambda s: checklists.set_step(s, c, "s2.1", "skipped", reason="node already gone"))
    sam.act(lambda s: checklists.add_finding(s, c, "s2.1", "the autoscaler removed it"))
    alex.receive(sam.known.values())
    sam.receive(alex.known.values())
    mine, theirs = alex.state().checklists[c], sam.state().checklists[c]
    assert _canonical(mine) == _canonical(theirs)
    assert (mine.steps["s2.1"].state, mine.steps["s2.1"].by) == ("skipped", "Sam")
    assert sorted(f.text for f in mine.steps["s2.1"].findings) == [
        "3 pods stuck terminating",
        "the autoscaler removed it",
    ]


def _canonical(checklist: Checklist) -> object:
    return (
        checklist.title,
        checklist.detached_by,
        [
            (s.id, s.state, s.by, s.at, s.reason, s.assigned, [(f.id, f.text, f.by, f.at) for f in s.findings])
            for s in checklist.steps.values()
        ],
    )


def test_suggestions_go_to_the_runbooks_stream(declared: Replica, policy: Policy) -> None:
    r = declared
    c = _attach(r).id
    [event] = r.act(lambda s: checklists.suggest_change(s, c, "s2.1", "Cordon before draining"))
    state = r.state()
    assert event.stream == "runbook:rb-node" and event.kind == "runbook.suggested"
    assert dict(event.payload) == {
        "runbook": "rb-node",
        "version_id": NODE_NOT_READY.version_id,
        "step": "s2.1",
        "text": "Cordon before draining",
        "incident": INCIDENT_ID,
        "reference": state.reference,
    }
    [duties] = r.act(lambda s: checklists.attach_role(s, "TL", policy))
    with pytest.raises(DomainError, match="comes from the policy, not from a runbook"):
        r.act(lambda s: checklists.suggest_change(s, duties.id, "", "More duties"))


def test_checklists_and_steps_are_found_by_number_id_or_words(declared: Replica, policy: Policy) -> None:
    r = declared
    first = _attach(r)
    [duties] = r.act(lambda s: checklists.attach_role(s, "scribe", policy))
    state = r.state()
    assert find_checklist(state, "1") is state.checklists[first.id]
    assert find_checklist(state, first.id).id == first.id
    with pytest.raises(DomainError, match="matches 2 checklists on INC-.*Use its number"):
        find_checklist(state, first.id[:10])
    assert find_checklist(state, "k8s node").id == first.id
    assert find_checklist(state, "Scribe duties").id == duties.id
    with pytest.raises(DomainError, match="has no checklist 3. `commander checklist list"):
        find_checklist(state, "3")
    with pytest.raises(DomainError, match="has no checklist 'payments'"):
        find_checklist(state, "payments")
    checklist = state.checklists[first.id]
    assert find_step(checklist, "3").id == "s2.1"
    assert find_step(checklist, "s2.1.1").text == "Wait for the pods to reschedule"
    assert find_step(checklist, "drain").id == "s2.1"
    with pytest.raises(DomainError, match="has no step 'Reboot'. Give its number \\(1 to 5\\) or its id"):
        find_step(checklist, "Reboot")
    long = _attach(r, long_runbook(30))
    with pytest.raises(DomainError, match="'Step 1' matches 9 steps of “Long runbook \\(30 steps\\)”"):
        find_step(long, "Step 1")


def test_the_fold_takes_odd_payloads_from_a_newer_console_without_failing(declared: Replica) -> None:
    last = max(e.hlc for e in declared.known.values())

    def foreign(kind: str, payload: dict[str, object], n: int) -> Event:
        return Event(
            f"foreign-{n}", f"incident:{INCIDENT_ID}", kind, payload, Actor("p9", "Newer"), last + n, NOW, NOW, "z"
        )

    events = list(declared.known.values()) + [
        foreign(
            "checklist.attached",
            {
                "title": "New shape",
                "runbook": "r",
                "version_id": "v",
                "version": 1,
                "role": "",
                "steps": [{"text": "no id"}, {"id": "x", "colour": "red"}],
            },
            1,
        ),
        foreign("checklist.step", {"checklist": "foreign-1", "step": "x", "state": "blocked", "reason": ""}, 2),
        foreign("checklist.step", {"checklist": "missing", "step": "x", "state": "done", "reason": ""}, 3),
        foreign("checklist.finding", {"checklist": "foreign-1", "step": "nope", "text": "?"}, 4),
    ]
    view = IncidentView(INCIDENT_ID, declared.policy, iso)
    view.load(events)
    checklist = view.state.checklists["foreign-1"]
    assert [(s.id, s.text, s.depth, s.state) for s in checklist.steps.values()] == [
        ("#1", "no id", 0, "open"),
        ("x", "", 0, "open"),
    ]
    assert [e.text for e in view.entries if e.category == "checklist"][-2] == "Checked: step x — checklist missing"


def test_a_snapshot_keeps_the_checklists(declared: Replica, policy: Policy) -> None:
    r = declared
    c = _attach(r).id
    r.act(lambda s: checklists.set_step(s, c, "s1.1", "done"))
    r.act(lambda s: checklists.set_step(s, c, "s1.2", "skipped", reason="no access"))
    r.act(lambda s: checklists.assign_step(s, c, "s2.1", "Sam"))
    r.act(lambda s: checklists.add_finding(s, c, "s2.1", "drained in 40 s"))
    [duties] = r.act(lambda s: checklists.attach_role(s, "CL", policy))
    r.act(lambda s: checklists.detach(s, duties.id, "Kim covers comms"))
    fresh = _view(r)
    saved = json.loads(json.dumps(snapshot.dump(fresh)))
    restored = snapshot.restore(INCIDENT_ID, saved, policy, iso, lambda: list(r.known.values()))
    assert restored is not None
    assert {k: _canonical(v) for k, v in restored.state.checklists.items()} == {
        k: _canonical(v) for k, v in fresh.state.checklists.items()
    }
    assert restored.state.checklists[c].steps["s1.1"] == fresh.state.checklists[c].steps["s1.1"]
    [tick] = r.act(lambda s: checklists.set_step(s, c, "s2.1", "done"))
    restored.apply([tick])
    assert restored.state.checklists[c].progress == (3, 5)
    assert restored.entries[-1].text == "Checked: Drain the node (Mitigation) — K8s node not ready"


def test_markdown_export_says_who_did_what_and_escapes_what_people_typed(declared: Replica) -> None:
    r = declared
    c = _attach(r).id
    r.act(lambda s: checklists.set_step(s, c, "s1.1", "done"))
    r.act(lambda s: checklists.set_step(s, c, "s1.2", "skipped", reason="logs are <gone>"))
    r.act(lambda s: checklists.add_finding(s, c, "s1.1", "# not a heading, `not code`"))
    r.act(lambda s: checklists.assign_step(s, c, "s2.1.1", "TL"))
    text = to_markdown(r.state().checklists[c], BERLIN, reference="INC-7K2M9QXA")
    lines = text.splitlines()
    assert lines[0] == "## Checklist: K8s node not ready"
    assert lines[2] == (
        "Runbook version 3, attached on INC-7K2M9QXA by Alex at 2026-11-28 10:30 (Europe/Berlin). "
        "2 of 5 steps done or skipped."
    )
    assert "### Diagnosis" in lines and "### Mitigation" in lines
    assert "- [x] Check the node's conditions — done by Alex at 10:30" in lines
    assert "  `kubectl describe node $NODE`" in lines
    assert "  - Finding by Alex at 10:30: \\# not a heading, \\`not code\\`" in lines
    assert "- [x] ~~Look at the kubelet logs~~ — skipped by Alex at 10:30 because logs are &lt;gone&gt;" in lines
    assert "  <https://grafana.example.com/d/kubelet>" in lines
    assert "  - [ ] Wait for the pods to reschedule — assigned to TL" in lines
    assert "- [ ] Page the platform team" in lines


def test_markdown_export_fences_commands_holding_backticks() -> None:
    from commander.domain.checklists.export import _command

    assert _command("echo `date`", "") == ["`` echo `date` ``"]
    assert _command("kubectl get pods", "  ") == ["  `kubectl get pods`"]
    assert _command("a\nb ```", "  ") == ["  ````sh", "  a", "  b ```", "  ````"]


def test_a_library_runbook_attaches_as_it_is(declared: Replica) -> None:
    """The contract with the library (commander.domain.runbooks.library): its Runbook is what attaching takes."""
    runbooks = pytest.importorskip("commander.domain.runbooks.library")
    runbook = runbooks.Runbook(
        id="rb-lib",
        title="Queue backlog",
        version=2,
        version_id="v2",
        sections=runbooks.numbered(
            (
                runbooks.Section(
                    "Mitigation",
                    (
                        runbooks.Step(
                            "",
                            "Scale the consumers",
                            "mitigate",
                            "kubectl scale deploy/consumer --replicas=12",
                            children=(runbooks.Step("", "Watch the lag fall", "verify"),),
                        ),
                    ),
                ),
            )
        ),
    )
    [event] = declared.act(lambda s: checklists.attach_runbook(s, runbook))
    steps = declared.state().checklists[event.id].steps
    assert [(s.id, s.depth, s.section, s.kind) for s in steps.values()] == [
        ("s1.1", 0, "Mitigation", "mitigate"),
        ("s1.1.1", 1, "Mitigation", "verify"),
    ]
    assert len(steps) == len(runbook.all_steps())


def test_a_query_step_stays_a_query_on_the_checklist_and_in_its_snapshot(policy: Policy) -> None:
    from commander.domain.runbooks.markdown import parse_markdown

    runbook = parse_markdown(
        "# Crash looping\n\n## Diagnosis\n\nHow often it restarted:\n\n```promql\n"
        "increase(kube_pod_container_status_restarts_total[1h]) > 3\n```\n\n"
        "Restart it:\n\n```sh\n$ kubectl rollout restart deploy/api\n```\n",
        name="crash.md",
    ).runbook
    version = SampleRunbook(
        "rb-crash",
        runbook.title,
        tuple(
            SampleSection(
                section.title,
                tuple(
                    SampleStep(s.id, s.text, s.kind or "", s.command, s.link, (), s.command_kind, s.language)
                    for s in section.steps
                ),
            )
            for section in runbook.sections
        ),
    )
    r = Replica(1, policy)
    r.declare()
    r.act(lambda s: checklists.attach_runbook(s, version))
    (checklist,) = r.state().checklists.values()
    query, command = checklist.steps.values()
    assert (query.query, query.command) == ("promql", "increase(kube_pod_container_status_restarts_total[1h]) > 3")
    assert (command.query, command.command) == ("", "kubectl rollout restart deploy/api")
    view = IncidentView(INCIDENT_ID, policy)
    view.load(list(r.known.values()))
    saved = json.loads(json.dumps(snapshot.dump(view)))
    restored = snapshot.restore(INCIDENT_ID, saved, policy, iso, lambda: list(r.known.values()))
    assert restored is not None
    assert [s.query for s in next(iter(restored.state.checklists.values())).steps.values()] == ["promql", ""]
