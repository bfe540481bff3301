"""The `commander` command line: argparse over the same Console the window uses."""
