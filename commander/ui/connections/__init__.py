"""What the team connects Commander to, and the shared store this console syncs with."""

from commander.ui.kit.shell import Entry, register

register(
    Entry("File", "S&hared store…", "commander.ui.connections.remote:open_remote", order=40),
)
