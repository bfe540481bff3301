"""A runbook file's front matter (YAML between `---` lines) and the fields in it that need no Markdown:
lists of names, links. Read with PyYAML's safe loader only: plain data, never Python objects."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import yaml

# The same safe loader (plain data only, never Python objects), in C when PyYAML has libyaml: the
# pure-Python one spends more time on a runbook's front matter than the Markdown parser on its body.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """yaml.safe_load, faster."""
    return yaml.load(text, Loader=_SAFE_LOADER)


def front_matter(text: str, notes: list[str]) -> tuple[dict[str, Any], str]:
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        notes.append("The front matter has no closing '---' line: read the whole file as Markdown.")
        return {}, "\n".join(lines[1:])
    block, body = "\n".join(lines[1:end]), "\n".join(lines[end + 1 :])
    looks_like_fields = bool(re.match(r"^\s*[\w-]+\s*:", block))
    try:
        data = load_yaml(block)
    except yaml.YAMLError as error:
        if not looks_like_fields:
            return {}, text  # two horizontal rules, not front matter
        mark = getattr(error, "context_mark", None) or getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        notes.append(f"The front matter is not valid YAML{where}: imported the rest without it.")
        return {}, body
    if data is None:
        return {}, body
    if not isinstance(data, dict):
        if not looks_like_fields:
            return {}, text
        notes.append("The front matter is not a list of fields (key: value): imported the rest without it.")
        return {}, body
    return {str(k).strip().lower().replace("-", "_"): v for k, v in data.items()}, body


def strings(value: Any, *, split: bool = True) -> list[str]:
    """Text items from a scalar, a comma-separated line, a list, or a list of mappings."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",")] if split and "\n" not in value else [value.strip()]
    if isinstance(value, Mapping):
        main = value.get("name") or value.get("title") or ""
        rest = ", ".join(
            f"{k}: {v}" for k, v in value.items() if k not in ("name", "title") and isinstance(v, str | int | float)
        )
        return [f"{main} ({rest})" if main and rest else str(main or rest)]
    if isinstance(value, list) and split:  # one level only: YAML aliases could nest lists without end
        return [text for item in value[:200] for text in strings(item, split=False)]
    if isinstance(value, bool | int | float | datetime):
        return [str(value)]
    return []


def link_pairs(name: str, value: Any, notes: list[str]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if isinstance(value, Mapping) and not any(k in value for k in ("url", "href", "link")):
        value = [{label: url} for label, url in value.items()]  # {Grafana: https://..., Logs: https://...}
    items = value if isinstance(value, list) else [value]
    for item in items[:200]:
        if isinstance(item, str):
            pairs.append((name.rstrip("s") if name != "links" else item.strip(), item.strip()))
        elif isinstance(item, Mapping):
            url = item.get("url") or item.get("href") or item.get("link")
            if url is None and len(item) == 1:  # {Grafana: https://...}
                [(label, url)] = item.items()
            else:
                label = item.get("label") or item.get("title") or item.get("name") or url
            pairs.append((str(label).strip(), str(url).strip()))
    kept = [(label, url) for label, url in pairs if web(url)]
    for url in [url for _, url in pairs if not web(url)]:
        notes.append(f"Front matter: the link '{cut(url, 60)}' is not a web address (http or https): left out.")
    return kept


def web(url: str) -> bool:
    return url.lower().startswith(("https://", "http://"))


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
