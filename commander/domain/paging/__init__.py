"""Paging."""
