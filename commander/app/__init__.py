"""Use cases: commands in, events out. `bootstrap` is the composition root."""
