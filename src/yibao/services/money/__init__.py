"""Money: payment notices, payments from every channel, settlement at the payment moment, the ledger's balances and
locks, reversals and refunds, collections, and the reconciliation of bank and tax statements with its worklist."""
