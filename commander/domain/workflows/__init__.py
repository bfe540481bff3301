"""Workflows as data: a team's rules (a trigger, conditions, ordered actions), shared through the store in
the `settings:workflows` stream, matched against what happens to an incident, and planned in a dry run.

rules.py reads and checks a rule (from YAML or from a stored event), rendering.py fills its templated
fields in the update templates' sandbox, kinds.py declares its events and folds them into the rules in
use, and matching.py says which rules fire and what each action would do.
"""
