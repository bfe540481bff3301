"""Commander: the Incident Commander's console."""

from importlib.metadata import PackageNotFoundError, version

try:
    # pyproject.toml's version is the one source; the installed distribution's metadata carries it.
    __version__ = version("commander")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
