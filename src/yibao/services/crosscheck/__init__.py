"""Cross-checks against departments' lists: reference lists, the runs of the nine rules, the worklists that keep
their follow-up, the register of reasons for non-enrollment."""
