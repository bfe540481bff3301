"""Where stakeholder updates go: one module per kind of destination, behind `Destination`."""
