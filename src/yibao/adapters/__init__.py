"""Adapters talk to the world: files, databases, analytics engines."""
