"""Commander: the Incident Commander's console."""


def __getattr__(name: str) -> str:
    # pyproject.toml's version is the one source; the installed distribution's metadata carries it. Read
    # on first use: importlib.metadata costs a window's start-up some 30 ms it does not need.
    if name != "__version__":
        raise AttributeError(f"module 'commander' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("commander")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"
