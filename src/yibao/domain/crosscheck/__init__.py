"""Cross-checks as pure rules: the departments' reference lists and their checks, the rules' input tables, the
rules as Ibis expressions (one definition for every engine), and what a clerk reads of a finding."""
