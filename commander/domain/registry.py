"""Every feature's event kinds, imported so that they register themselves (commander/domain/core/kinds.py).

The `commander.domain` package imports this module, so whatever part of the domain a program imports, the
registry is complete before its first event is validated, folded or shown. A new feature with event kinds
adds its kinds module here; a new kind in an existing feature touches only that feature's kinds module.
"""

from __future__ import annotations

from commander.domain.actions import kinds as actions
from commander.domain.alerts import kinds as alerts
from commander.domain.bridges import kinds as bridges
from commander.domain.chat import kinds as chat
from commander.domain.checklists import kinds as checklists
from commander.domain.incident import kinds as incident
from commander.domain.oncall import kinds as oncall
from commander.domain.paging import kinds as paging
from commander.domain.people import kinds as people
from commander.domain.postmortem import kinds as postmortem
from commander.domain.runbooks import kinds as runbooks
from commander.domain.timeline import kinds as timeline
from commander.domain.updates import kinds as updates
from commander.domain.workflows import kinds as workflows
from commander.domain.workflows import runs as workflow_runs

FEATURES = (
    actions,
    alerts,
    bridges,
    chat,
    checklists,
    incident,
    oncall,
    paging,
    people,
    postmortem,
    runbooks,
    timeline,
    updates,
    workflows,
    workflow_runs,
)
