"""The pure rules core (docs/rules.md §2–§9): working days, feedback cadence, status, escalation, scores."""
