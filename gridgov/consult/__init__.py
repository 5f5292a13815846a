"""Consultations: topics, proposals, votes and secret ballots."""
