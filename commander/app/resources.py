"""Finding the shipped resources (policy, icons, style sheets) in a checkout, a wheel or a bundle."""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

from commander.domain.core.errors import DomainError
from commander.domain.core.policy import Policy, policy_from_mapping


def resources_dir() -> Path:
    candidates = []
    if os.environ.get("COMMANDER_RESOURCES"):
        candidates.append(Path(os.environ["COMMANDER_RESOURCES"]))
    bundle = getattr(sys, "_MEIPASS", None)  # PyInstaller
    if bundle:
        candidates.append(Path(bundle) / "resources")
    candidates.append(Path(__file__).resolve().parents[2] / "resources")  # a checkout or editable install
    candidates.append(Path(sys.prefix) / "share" / "commander" / "resources")  # a wheel's data files
    for candidate in candidates:
        if (candidate / "policy.toml").is_file():
            return candidate
    raise FileNotFoundError(
        "Commander's resources folder is missing (looked in: "
        + ", ".join(map(str, candidates))
        + "). Reinstall Commander."
    )


def load_policy(path: Path | None = None) -> Policy:
    source = path or Path(os.environ.get("COMMANDER_POLICY") or resources_dir() / "policy.toml")
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise DomainError(
            f"Cannot read the policy file {source}: {error}. Fix the file or unset COMMANDER_POLICY to use the default."
        ) from error
    try:
        return policy_from_mapping(data)
    except DomainError as error:
        raise DomainError(f"The policy file {source} is not valid: {error}") from error
