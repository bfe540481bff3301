"""Searching the library as someone types: an inverted index of words, built once per library change.

Each word of a runbook weighs by where it stands: the title most, then steps and commands, then tags,
services, alert names and the summary, the prose least. Every word typed must be found (the last one as
the start of a word, since the person is still typing it). Runbooks that fit the incident (its services
and alert names) come first, whatever the text score.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from commander.domain.runbooks.library import Runbook, RunbookRecord, same_name

_WORD = re.compile(r"[^\W_]+")
_CAMEL = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_STOP = frozenset(
    (
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "if",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
    )
)
MIN_PREFIX = 2  # a single letter would match half the library: wait for the second one
TITLE, STEPS, TAGS, NAMES, SUMMARY, PROSE = 10.0, 4.0, 3.0, 3.0, 3.0, 1.0
ALERT_MATCH, SERVICE_MATCH = 1000.0, 500.0


@dataclass(frozen=True)
class Hit:
    record: RunbookRecord
    score: float
    why: tuple[str, ...]  # what fits the incident: "alert KubePodCrashLooping", "service checkout"

    @property
    def runbook(self) -> Runbook:
        return self.record.current


def words(text: str) -> set[str]:
    """The words a text is found by: lower case, and CamelCase names also by their parts and their
    endings (KubePodCrashLooping: kubepodcrashlooping, kube, pod, crash, looping, podcrashlooping,
    crashlooping), so that typing "crashloop" finds it."""
    written = set(_WORD.findall(text))
    found = {word.lower() for word in written}
    for word in written:
        if word.islower() or word.isupper() or word.istitle():
            continue
        parts = [part.lower() for part in _CAMEL.findall(word)]
        found.update(parts)
        found.update("".join(parts[start:]) for start in range(1, len(parts) - 1))  # crashlooping
    return {word for word in found if len(word) > 1 and word not in _STOP}


class SearchIndex:
    def __init__(
        self, records: Mapping[str, RunbookRecord], *, known: dict[str, dict[str, float]] | None = None
    ) -> None:
        """`known` keeps each version's word weights (by version id) from one build to the next, so that
        a review or one new version does not tokenise the whole library again."""
        self.records = [record for record in records.values() if not record.retired]
        self._titles = [record.current.title.lower() for record in self.records]
        self._postings: dict[str, dict[int, float]] = {}
        for number, record in enumerate(self.records):
            runbook = record.current
            weights = known.get(runbook.version_id) if known is not None else None
            if weights is None:
                weights = _weights(runbook)
                if known is not None and runbook.version_id:
                    known[runbook.version_id] = weights
            for word, weight in weights.items():
                self._postings.setdefault(word, {})[number] = weight
        self._vocabulary = sorted(self._postings)
        # Alert and service names, without case or punctuation, to the runbooks that name them.
        self._names: dict[str, list[tuple[int, str]]] = {}
        for number, record in enumerate(self.records):
            for kind, names in (("alert", record.current.alerts), ("service", record.current.services)):
                for name in names:
                    self._names.setdefault(f"{kind}:{same_name(name)}", []).append((number, f"{kind} {name}"))

    def search(
        self, text: str, *, services: Iterable[str] = (), alerts: Iterable[str] = (), limit: int = 50
    ) -> list[Hit]:
        fitting: dict[int, list[str]] = {}
        for kind, names in (("alert", alerts), ("service", services)):
            for name in dict.fromkeys(same_name(n) for n in names):
                for number, why in self._names.get(f"{kind}:{name}", ()):
                    fitting.setdefault(number, []).append(why)
        typed = [word.lower() for word in _WORD.findall(text)]
        typed = [word for word in typed[:-1] if len(word) > 1 and word not in _STOP] + typed[-1:]
        if typed and len(typed[-1]) < MIN_PREFIX:
            typed.pop()
        if typed:
            scores = self._scores(typed)
        elif fitting:
            scores = dict.fromkeys(fitting, 0.0)
        else:
            return []
        for number, reasons in fitting.items():
            if number in scores:
                scores[number] += sum(ALERT_MATCH if r.startswith("alert") else SERVICE_MATCH for r in reasons)
        # An alert's exact name typed (copied from the page) finds its runbook first, above runbooks that
        # merely mention the name in their steps or prose.
        for number, _ in self._names.get(f"alert:{same_name(text)}", ()) if text.strip() else ():
            if number in scores:
                scores[number] += ALERT_MATCH
        best = heapq.nsmallest(limit, scores.items(), key=lambda item: (-item[1], self._titles[item[0]]))
        return [Hit(self.records[number], score, tuple(fitting.get(number, ()))) for number, score in best]

    def _scores(self, typed: list[str]) -> dict[int, float]:
        """Every typed word must be found; the last one may be the start of a word."""
        found: dict[int, float] | None = None
        for position, word in enumerate(typed):
            postings = self._prefixed(word) if position == len(typed) - 1 else self._postings.get(word, {})
            if found is None:
                found = dict(postings)
            else:
                found = {number: score + postings[number] for number, score in found.items() if number in postings}
            if not found:
                return {}
        return found or {}

    def _prefixed(self, prefix: str) -> dict[int, float]:
        exact = self._postings.get(prefix, {})
        start = bisect_left(self._vocabulary, prefix)
        end = bisect_left(self._vocabulary, prefix + "\uffff", start)
        if end - start == 1:
            return self._postings[self._vocabulary[start]]
        merged: dict[int, float] = {}
        for word in self._vocabulary[start:end]:
            if word != prefix:
                merged.update(self._postings[word])
        merged.update(exact)  # a whole-word match keeps its own weight
        return merged


def _weights(runbook: Runbook) -> dict[str, float]:
    """Each word's weight in one runbook: the sum of the weights of the fields it appears in."""
    fields: list[tuple[float, str]] = [
        (TITLE, runbook.title),
        (TAGS, " ".join(runbook.tags)),
        (NAMES, " ".join(runbook.services)),
        (NAMES, " ".join(runbook.alerts)),
        (SUMMARY, runbook.summary),
        (PROSE, runbook.owner),
    ]
    step_text = [text for found in runbook.all_steps() for text in (found.step.text, found.step.command or "")]
    prose = [text for section in runbook.sections for text in (section.title, section.context)]
    fields += [(STEPS, " ".join(step_text)), (PROSE, " ".join(prose))]
    weights: dict[str, float] = {}
    for weight, text in fields:
        for word in words(text):
            weights[word] = weights.get(word, 0.0) + weight
    return weights
