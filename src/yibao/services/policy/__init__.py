"""The plans: the bundled and checked policy files, which plan governs a campaign, and the published quote and
reimbursement contract."""
