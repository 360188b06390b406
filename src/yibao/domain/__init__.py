"""Pure computation: ID numbers, money, the policy model and its evaluation. No I/O here."""
