"""Postmortem."""
