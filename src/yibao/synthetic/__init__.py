"""Invented data of realistic shape: the demo district, rosters with planted errors, a district with planted
cross-check findings. Used by `yibao demo`, the tests and the benchmarks; nothing of the system depends on it."""
