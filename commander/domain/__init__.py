"""Plain-Python core: events, the hybrid clock, the incident fold and its rules.

Nothing here does I/O or imports a framework; time is always a parameter. Importing the package registers
every feature's event kinds (commander/domain/registry.py).
"""

from commander.domain import registry as registry
