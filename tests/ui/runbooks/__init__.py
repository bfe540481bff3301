"""Runbooks."""
