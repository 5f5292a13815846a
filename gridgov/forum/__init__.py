"""Boards, topics, replies and moderation."""
