"""The clerks' web pages: server-rendered Chinese HTML, no scripts from anywhere else, one use case per page."""
