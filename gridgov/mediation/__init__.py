"""Disputes, the expert pool, sessions and agreements."""
