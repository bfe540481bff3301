"""Commander: the Incident Commander's console."""

__version__ = "0.1.0"
