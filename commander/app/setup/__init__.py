"""Setting up this console: the services the composition root builds, the shipped resources, what the team
connects to, who is using the console, the shared store it syncs with, and the demo data."""
