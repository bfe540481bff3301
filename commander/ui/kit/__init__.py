"""Shared widgets and helpers every feature uses: background work, problems, the shell protocol, theme."""
