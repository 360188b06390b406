"""Rosters (电子名册) and departments' special-group lists handed in as sheets: checked whole, written set-wise,
reported with an error file, run as background jobs."""
