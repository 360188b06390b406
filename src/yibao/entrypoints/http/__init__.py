"""What the REST API and the web pages share over HTTP: the application context and clock, each request's
unit of work, errors as HTTP statuses, and jobs and downloads as responses."""
