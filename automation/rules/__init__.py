"""The pure rules core (SPEC §4): working days, feedback cadence, status, escalation, scores."""
