"""The shipped resources (policy, icon, style sheets, update and postmortem templates): package data of
`commander` (commander/resources), found by importlib.resources in a checkout, a wheel or a bundle."""

from __future__ import annotations

import os
import tomllib
from importlib.resources import files
from pathlib import Path

from commander.domain.core.errors import DomainError
from commander.domain.core.policy import Policy, policy_from_mapping


def resources_dir() -> Path:
    """The folder of shipped resources. Commander runs from files on disk (a checkout, an installed wheel,
    a PyInstaller bundle), never from a zip, so the folder is a real path: Qt opens the icon by its name."""
    folder = files("commander") / "resources"
    if not isinstance(folder, Path) or not (folder / "policy.toml").is_file():
        raise FileNotFoundError(f"Commander's resources folder is missing (looked in: {folder}). Reinstall Commander.")
    return folder


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
