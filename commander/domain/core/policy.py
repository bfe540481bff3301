"""Severity levels and roles: the team's policy, loaded from data (resources/policy.toml)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from commander.domain.core.errors import DomainError

_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")


@dataclass(frozen=True)
class Severity:
    key: str
    name: str
    description: str
    page: tuple[str, ...]
    acknowledge_minutes: int
    update_every_minutes: int  # 0: no periodic updates
    audiences: tuple[str, ...]
    colour: str
    rank: int  # 0 is the most severe


@dataclass(frozen=True)
class RoleDefinition:
    key: str
    name: str
    duty: str
    checklist: tuple[str, ...]
    key_from: str | None  # a key role from this severity up: unfilled is flagged


@dataclass(frozen=True)
class Policy:
    severities: tuple[Severity, ...]
    roles: tuple[RoleDefinition, ...]
    default_severity: str
    long_incident_factor: int = 2  # after two hours, updates may come this many times less often
    runbook_stale_days: int = 90  # a runbook not reviewed for longer is marked stale
    # How far ahead of this computer's clock another console's clock stamp may be and still be taken in;
    # events stamped further ahead are set aside (see commander/domain/core/trust.py).
    max_clock_drift_minutes: int = 10

    def severity(self, key: str) -> Severity:
        wanted = key.strip().upper()
        for severity in self.severities:
            if severity.key == wanted:
                return severity
        known = ", ".join(s.key for s in self.severities)
        raise DomainError(f"Unknown severity '{key}'. Use one of: {known}.")

    def find_severity(self, key: str) -> Severity | None:
        return next((s for s in self.severities if s.key == key), None)

    def role(self, key: str) -> RoleDefinition | None:
        return next((r for r in self.roles if r.key == key), None)

    def role_key_for(self, text: str) -> str:
        """Accept a role by key or by name, any case: 'IC', 'technical_lead', 'Technical Lead'."""
        wanted = text.strip().lower().replace("-", "_").replace(" ", "_")
        aliases = {
            "ic": "incident_commander",
            "tl": "technical_lead",
            "comms": "communications_lead",
            "cl": "communications_lead",
            "sme": "subject_matter_expert",
        }
        wanted = aliases.get(wanted, wanted)
        for role in self.roles:
            if role.key == wanted or role.name.lower().replace(" ", "_") == wanted:
                return role.key
        return wanted

    def is_key_role(self, role_key: str, severity_key: str) -> bool:
        role = self.role(role_key)
        severity = self.find_severity(severity_key)
        if role is None or role.key_from is None or severity is None:
            return False
        threshold = self.find_severity(role.key_from)
        return threshold is not None and severity.rank <= threshold.rank


def policy_from_mapping(data: Mapping[str, Any]) -> Policy:
    """Build and check a policy from parsed TOML; a mistake names the entry and the field."""
    severities = []
    for rank, entry in enumerate(_entries(data, "severity")):
        key = _text(entry, "key", "severity").upper()
        colour = _text(entry, "colour", key)
        if not _COLOUR.match(colour):
            raise DomainError(f"Severity {key}: colour '{colour}' is not of the form #RRGGBB.")
        severities.append(
            Severity(
                key=key,
                name=_text(entry, "name", key),
                description=_text(entry, "description", key),
                page=tuple(entry.get("page", ())),
                acknowledge_minutes=_minutes(entry, "acknowledge_minutes", key),
                update_every_minutes=_minutes(entry, "update_every_minutes", key),
                audiences=tuple(entry.get("audiences", ())),
                colour=colour,
                rank=rank,
            )
        )
    if not severities:
        raise DomainError("The policy defines no severity levels.")
    roles = []
    for entry in _entries(data, "role"):
        key = _text(entry, "key", "role")
        roles.append(
            RoleDefinition(
                key=key,
                name=_text(entry, "name", key),
                duty=_text(entry, "duty", key),
                checklist=tuple(entry.get("checklist", ())),
                key_from=entry.get("key_from"),
            )
        )
    default = str(data.get("default_severity", severities[-1].key)).upper()
    factor = data.get("long_incident_factor", 2)
    if not isinstance(factor, int) or not 1 <= factor <= 10:
        raise DomainError("The policy's long_incident_factor must be a whole number from 1 to 10.")
    stale_days = data.get("runbook_stale_days", 90)
    if not isinstance(stale_days, int) or isinstance(stale_days, bool) or not 1 <= stale_days <= 3650:
        raise DomainError("The policy's runbook_stale_days must be a whole number of days from 1 to 3650.")
    drift = data.get("max_clock_drift_minutes", 10)
    if type(drift) is not int or not 1 <= drift <= 24 * 60:
        raise DomainError("The policy's max_clock_drift_minutes must be a whole number of minutes from 1 to 1440.")
    policy = Policy(
        tuple(severities), tuple(roles), default, factor, runbook_stale_days=stale_days, max_clock_drift_minutes=drift
    )
    policy.severity(default)
    return policy


def _entries(data: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    entries = data.get(name, [])
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise DomainError(f"The policy's [[{name}]] entries are malformed.")
    return entries


def _text(entry: Mapping[str, Any], field: str, where: str) -> str:
    value = entry.get(field)
    if not isinstance(value, str) or not value.strip():
        raise DomainError(f"Policy entry {where}: '{field}' must be a non-empty text.")
    return value.strip()


def _minutes(entry: Mapping[str, Any], field: str, where: str) -> int:
    value = entry.get(field, 0)
    if not isinstance(value, int) or value < 0:
        raise DomainError(f"Policy entry {where}: '{field}' must be a whole number of minutes, 0 or more.")
    return value
