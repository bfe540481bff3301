"""The timeline: its model, delegate, filters, the note box and exports."""
