"""Entry points: the CLI now; the REST API and the web UI call the same services."""
