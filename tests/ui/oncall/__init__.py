"""Oncall."""
