"""Meeting bridges: the team's Jitsi, Zoom, Google Meet or fixed bridge, as connections shared through the
store (their secrets stay in each computer's keyring)."""
