"""Runbooks for the checklist tests, shaped as the library's (commander.domain.runbooks.library) but made here, so
these tests pin down what a checklist needs of a runbook and nothing more."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SampleStep:
    id: str
    text: str
    kind: str = ""
    command: str | None = None
    link: str | None = None
    children: tuple[SampleStep, ...] = ()
    command_kind: str = ""  # "query" for a query (PromQL…), "" for a shell command
    language: str = ""


@dataclass(frozen=True)
class SampleSection:
    title: str
    steps: tuple[SampleStep, ...] = ()


@dataclass(frozen=True)
class SampleRunbook:
    id: str
    title: str
    sections: tuple[SampleSection, ...]
    version: int = 3
    version_id: str = "0196f0c2-0000-7000-8000-00000000v003"


NODE_NOT_READY = SampleRunbook(
    "rb-node",
    "K8s node not ready",
    (
        SampleSection(
            "Diagnosis",
            (
                SampleStep("s1.1", "Check the node's conditions", "diagnose", "kubectl describe node $NODE"),
                SampleStep(
                    "s1.2",
                    "Look at the kubelet logs",
                    "diagnose",
                    "journalctl -u kubelet --since -30m",
                    link="https://grafana.example.com/d/kubelet",
                ),
            ),
        ),
        SampleSection(
            "Mitigation",
            (
                SampleStep(
                    "s2.1",
                    "Drain the node",
                    "mitigate",
                    "kubectl drain $NODE --ignore-daemonsets",
                    children=(SampleStep("s2.1.1", "Wait for the pods to reschedule", "mitigate"),),
                ),
            ),
        ),
        SampleSection("Escalation", (SampleStep("s3.1", "Page the platform team", "escalate"),)),
    ),
)


def long_runbook(steps: int = 200, *, runbook_id: str = "rb-long") -> SampleRunbook:
    """A runbook with `steps` steps in sections of ten, every third with a sub-step."""
    sections = []
    made = 0
    number = 0
    while made < steps:
        number += 1
        items = []
        for position in range(1, 11):
            if made >= steps:
                break
            made += 1
            children: tuple[SampleStep, ...] = ()
            if position % 3 == 0 and made < steps:
                made += 1
                children = (SampleStep(f"s{number}.{position}.1", f"Confirm step {made - 1} took effect", "verify"),)
            items.append(
                SampleStep(
                    f"s{number}.{position}",
                    f"Step {made} of the procedure: check the service",
                    "diagnose",
                    f"kubectl get pods -n app-{made}",
                    children=children,
                )
            )
        sections.append(SampleSection(f"Section {number}", tuple(items)))
    return SampleRunbook(runbook_id, f"Long runbook ({steps} steps)", tuple(sections))
