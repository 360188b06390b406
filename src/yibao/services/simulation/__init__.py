"""Plan what-if (测算): a draft plan run over a campaign's people, kept as dated reports to reopen, export and
compare."""
