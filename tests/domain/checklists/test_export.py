"""A checklist made from a Markdown runbook exports its steps' Markdown as Markdown, escaped once; the
timeline names a step by its plain words."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from markdown_it import MarkdownIt

from commander.domain.checklists import checklists
from commander.domain.checklists.export import to_markdown
from commander.domain.core.when import iso
from commander.domain.runbooks.library import Runbook, Section, Step, numbered
from commander.domain.timeline.entries import IncidentView
from tests.helpers.replica import INCIDENT_ID, NOW, Replica

STEP = (
    "Roll back with `kubectl rollout undo` when the **last deploy** caused it; see [the guide](https://example.org/g)."
)
RUNBOOK = Runbook(
    id="rb-md",
    title="`KubePodCrashLooping` runbook",
    version=1,
    version_id="v1",
    sections=numbered(
        [
            Section(
                "**Mitigation**",
                (
                    Step("", STEP, "mitigate"),
                    Step("", "# Drain <b>now</b> a\\*b", "mitigate"),
                    Step("", "Check `a & b` in [x](javascript:alert(1))", "mitigate"),
                ),
            )
        ]
    ),
)


def _exported(r: Replica) -> list[str]:
    [event] = r.act(lambda s: checklists.attach_runbook(s, RUNBOOK))
    r.act(lambda s: checklists.set_step(s, event.id, "s1.1", "done"))
    return to_markdown(r.state().checklists[event.id], ZoneInfo("UTC")).splitlines()


def test_the_export_keeps_a_steps_markdown_without_escaping_it_twice(declared: Replica) -> None:
    lines = _exported(declared)
    assert lines[0] == "## Checklist: `KubePodCrashLooping` runbook"
    assert "### **Mitigation**" in lines
    step = next(line for line in lines if line.startswith("- [x] Roll back"))
    assert step.startswith(
        "- [x] Roll back with `kubectl rollout undo` when the **last deploy** caused it; see "
        "[the guide](<https://example.org/g>)."
    )
    assert "\\*" not in step and "\\`" not in step
    rendered = MarkdownIt("commonmark").render(step)
    assert "<strong>last deploy</strong>" in rendered and "<code>kubectl rollout undo</code>" in rendered
    assert '<a href="https://example.org/g">the guide</a>' in rendered


def test_the_export_still_defuses_headings_html_and_unsafe_links(declared: Replica) -> None:
    lines = _exported(declared)
    assert "- [ ] \\# Drain \\<b\\>now\\</b\\> a\\*b" in lines
    assert "- [ ] Check `a & b` in \\[x\\](javascript:alert(1))" in lines  # not a link to markdown-it: text
    rendered = MarkdownIt("commonmark").render("\n".join(lines))
    assert "<h1>" not in rendered and "<b>" not in rendered and 'href="javascript' not in rendered
    assert "<li>[ ] # Drain &lt;b&gt;now&lt;/b&gt; a*b</li>" in rendered


def test_the_timeline_names_a_step_by_its_plain_words(declared: Replica) -> None:
    [event] = declared.act(lambda s: checklists.attach_runbook(s, RUNBOOK))
    declared.act(lambda s: checklists.set_step(s, event.id, "s1.1", "done"))
    view = IncidentView(INCIDENT_ID, declared.policy, iso)
    view.load(declared.known.values())
    said = view.entries[-1].text
    assert said.startswith("Checked: Roll back with kubectl rollout undo when the last deploy caused it")
    assert said.endswith("(Mitigation) — KubePodCrashLooping runbook")
    assert "**" not in said and "`" not in said


def test_the_postmortem_names_a_skipped_step_by_its_plain_words(declared: Replica) -> None:
    from commander.domain.postmortem.draft import facts

    [event] = declared.act(lambda s: checklists.attach_runbook(s, RUNBOOK))
    declared.act(lambda s: checklists.set_step(s, event.id, "s1.1", "skipped", reason="no deploy today"))
    view = IncidentView(INCIDENT_ID, declared.policy, iso)
    view.load(declared.known.values())
    badly = facts(view, now=view.state.started_at() or NOW, zone=ZoneInfo("UTC"), author="Alex")["went_badly"]
    [skipped] = [line for line in badly if line.startswith("Skipped")]
    assert skipped.startswith("Skipped “Roll back with kubectl rollout undo when the last deploy caused it")
    assert skipped.endswith("” in “KubePodCrashLooping runbook”: no deploy today.")
