"""A gentle blameless-language check for postmortems: it points at words, it never blocks.

A blameless postmortem asks what in the system made the failure possible, not who to blame (Google SRE
book, "Postmortem Culture"; Etsy's "Blameless PostMortems and a Just Culture"). The check finds phrases
that judge people ("human error", "should have", "careless") or make hindsight sound obvious ("obviously",
"just restart it"), and a person's name within a few words of a failure word ("Sam broke the deploy").
Each finding has its span in the text and a suggestion; the editor highlights it, and nothing refuses to
save or publish because of it.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass

NEAR = 4  # words: a name this close to a failure word reads as blame
_SYSTEM = "describe what the system allowed, e.g. 'the deploy tool let an unreviewed change reach production'"


@dataclass(frozen=True)
class Finding:
    start: int  # offsets into the checked text, end exclusive
    end: int
    text: str
    suggestion: str


_PHRASES: tuple[tuple[str, str], ...] = (
    (
        r"human errors?",
        "Name the conditions that made the mistake easy to make, e.g. 'the form accepted a "
        "production host without asking to confirm'.",
    ),
    (
        r"should(?:n't| not)? have",
        "Say what would have helped at the time, e.g. 'the runbook did not mention the "
        "flag', instead of what someone should have done.",
    ),
    (r"careless(?:ly|ness)?", f"Judges a person: {_SYSTEM}."),
    (r"negligen(?:t|tly|ce)", f"Judges a person: {_SYSTEM}."),
    (r"failed to", "Say what happened instead, e.g. 'the alert did not reach the on-call'."),
    (r"forg[oe]t(?:ten)? to", "Say what did not prompt the step, e.g. 'the checklist had no step to drain the node'."),
    (r"(?:his|her|their|my|your) fault", f"Looks for a culprit: {_SYSTEM}."),
    (r"blam(?:e|ed|es|ing)", "Blame stops the learning: describe the contributing factors instead."),
    (r"stupid(?:ly|ity)?", f"Judges a person: {_SYSTEM}."),
    (r"laz(?:y|iness|ily)", f"Judges a person: {_SYSTEM}."),
    (r"obvious(?:ly)?", "What is obvious afterwards was not at the time (hindsight bias): say what was known then."),
)
# One alternation with one look-around is seven times quicker than a look-around per phrase; which phrase it
# was is asked only of the (few) matches.
_PHRASE = re.compile(r"(?<!\w)(?:" + "|".join(pattern for pattern, _ in _PHRASES) + r")(?!\w)", re.IGNORECASE)
_EACH = [(re.compile(pattern, re.IGNORECASE), suggestion) for pattern, suggestion in _PHRASES]
# "just" makes a step sound trivial in hindsight when a verb follows ("just restart it"); "just now",
# "just in time", "just before" are about time, not judgement.
_JUST = re.compile(r"(?<!\w)just\s+(?P<next>[^\W\d_]+)", re.IGNORECASE)
_NOT_VERBS = frozenset(
    (
        "a",
        "an",
        "the",
        "this",
        "that",
        "these",
        "those",
        "now",
        "then",
        "before",
        "after",
        "as",
        "in",
        "on",
        "at",
        "about",
        "around",
        "over",
        "under",
        "like",
        "one",
        "two",
        "three",
        "four",
        "five",
        "few",
        "minutes",
        "minute",
        "seconds",
        "second",
        "hours",
        "hour",
        "days",
        "day",
        "once",
        "because",
        "when",
        "while",
        "so",
        "enough",
        "fine",
        "ok",
        "okay",
        "time",
        "bit",
        "barely",
        "above",
        "below",
        "past",
        "short",
        "what",
        "how",
        "like",
    )
)
_JUST_SUGGESTION = "'Just' makes the step sound trivial in hindsight: say what made it the right step then."
# "Error rate", "error budget" and the like are measurements, not someone's error.
_FAILURE = re.compile(
    r"(?<!\w)(?:broke|broken|breaks|break|caused|causing|causes|mistakes?|erred|failed|fails|failure|"
    r"messed up|screwed up|errors?(?!\s+(?:rates?|budgets?|counts?|logs?|codes?|messages?|spikes?)))"
    r"(?!\w)",
    re.IGNORECASE,
)
_NAME_SUGGESTION = f"A person's name next to a failure reads as blame: {_SYSTEM}."
_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?;\n]")


def check(text: str, people: Iterable[str] = ()) -> list[Finding]:
    """Every finding in `text`, in order. `people` are the incident's actors and role holders: a full
    name and its first word both count ("Sam Okafor", "Sam")."""
    found: dict[tuple[int, int], Finding] = {}
    for match in _PHRASE.finditer(text):
        suggestion = next(said for pattern, said in _EACH if pattern.fullmatch(match.group()))
        found[match.span()] = Finding(match.start(), match.end(), match.group(), suggestion)
    for match in _JUST.finditer(text):
        if match.group("next").casefold() not in _NOT_VERBS:
            found[match.span()] = Finding(match.start(), match.end(), match.group(), _JUST_SUGGESTION)
    names = _name_pattern(people)
    failures = [m.span() for m in _FAILURE.finditer(text)] if names is not None else []
    if names is not None and failures:
        found.update(_names_near_failures(text, names, failures))
    return sorted(found.values(), key=lambda f: (f.start, f.end))


def _names_near_failures(
    text: str, names: re.Pattern[str], failures: list[tuple[int, int]]
) -> dict[tuple[int, int], Finding]:
    """Each name with a failure word at most NEAR words before or after it, in the same sentence. Words are
    counted by their index in the text, so each name looks only at the failures that can be near it."""
    words = [m.start() for m in _WORD.finditer(text)]

    def first_word(start: int) -> int:
        return bisect.bisect_left(words, start)

    def last_word(end: int) -> int:
        return bisect.bisect_left(words, end) - 1

    failure_first = [first_word(start) for start, _ in failures]
    failure_last = [last_word(end) for _, end in failures]
    found = {}
    for match in names.finditer(text):
        first, last = first_word(match.start()), last_word(match.end())
        after = range(bisect.bisect_left(failure_first, last + 1), bisect.bisect_right(failure_first, last + NEAR + 1))
        before = range(bisect.bisect_left(failure_last, first - NEAR - 1), bisect.bisect_right(failure_last, first - 1))
        for index in (*after, *before):
            start, end = failures[index]
            gap = text[match.end() : start] if start >= match.end() else text[end : match.start()]
            if not _SENTENCE_END.search(gap):
                span = (min(match.start(), start), max(match.end(), end))
                found[span] = Finding(span[0], span[1], text[span[0] : span[1]], _NAME_SUGGESTION)
    return found


def _name_pattern(people: Iterable[str]) -> re.Pattern[str] | None:
    names: set[str] = set()
    for person in people:
        full = " ".join(person.split())
        if len(full) >= 2:
            names.add(full)
            first = full.split(" ")[0]
            if len(first) >= 3:
                names.add(first)
    if not names:
        return None
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    return re.compile(f"(?<!\\w)(?:{alternatives})(?:'s)?(?!\\w)", re.IGNORECASE)
