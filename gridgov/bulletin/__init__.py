"""Columns and targeted notices with read receipts."""
