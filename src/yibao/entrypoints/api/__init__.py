"""The REST API under /api/v1: each route parses, calls one use case, and returns its view. No rules here."""
