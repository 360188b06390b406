"""The system of record: areas, residents and households, information changes, enrollments and their assessment,
and the exports of what is stored. Enrollments take the money ledger's locks (:mod:`yibao.services.money.ledger`):
the one place a lower stage uses a higher one, declared in the layer contract."""
