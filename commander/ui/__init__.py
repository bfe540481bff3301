"""The desktop console: Qt widgets, item models and dialogs over commander.app.Console.

Thin by design: panels show state read from the console's views and send commands back through it.
Every change reaches the panels through one path, `ConsoleBridge.events_appended`.
"""
