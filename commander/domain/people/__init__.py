"""The team's people: who a name on the role board is elsewhere (an email address, a chat account)."""
