"""The main window and what frames it: menus, status bar, sync status, start-up."""
