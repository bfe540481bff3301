"""The incident's checklists: runbook and duty steps, ticked in place."""
