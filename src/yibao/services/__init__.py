"""Use cases: one function each, called alike by the CLI, the API and the web UI."""
