"""Principals for service tests, as :func:`yibao.services.users.principal_of` would build them."""

from __future__ import annotations

from yibao.services.access import Principal, Role

JIZHOU = "120119000000"


def admin(district: str = JIZHOU) -> Principal:
    return Principal(1, "admin", "区医保局", Role.DISTRICT_ADMIN, district)


def operator(township: str) -> Principal:
    return Principal(2, f"clerk-{township}", "镇街经办员", Role.TOWNSHIP_OPERATOR, township)


def of_role(role: Role, area: str = JIZHOU, organization_id: int | None = None) -> Principal:
    return Principal(3, f"user-{role.value}", role.value, role, area, organization_id)
