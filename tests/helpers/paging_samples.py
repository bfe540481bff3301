"""On call for the paging tests: Sam always on the payments schedule (level 1), Morgan at level 2."""

PAYMENTS_ONCALL = """
schedules:
  - name: Payments primary
    time_zone: UTC
    layers:
      - {name: Everyone, rotation: custom, shift_hours: 672, handoff: "00:00", start: "2020-01-06",
         participants: [Sam]}
escalation_policies:
  - name: Payments
    levels:
      - {delay_minutes: 15, targets: [{schedule: Payments primary}]}
      - {delay_minutes: 30, targets: [{person: Morgan}]}
services:
  payments: Payments
"""
