"""Replication between this console's local store and the team's shared store."""
