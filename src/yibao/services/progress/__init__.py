"""Targets and progress: the plans' target tables, progress as of any day against them, the breakdown by village,
the coverage base population, the ranking bulletin, and the fold of the kept counts after a large write."""
