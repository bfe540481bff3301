"""The role board: who holds each role, handoffs, and the roles nobody holds."""
