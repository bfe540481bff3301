"""Adapters to the outside world: secrets in the OS keyring, chat, status pages, trackers, paging."""
