"""Incident."""
