"""Feedback forms out to the units, and their replies merged back."""
