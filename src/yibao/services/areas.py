"""Reference data for forms and filters: the areas of the principal's district."""

from __future__ import annotations

from sqlalchemy import select

from yibao.adapters.db.tables import Area
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.services.access import Principal, Role
from yibao.services.views import AreaView


def list_areas(uow: UnitOfWork, principal: Principal) -> list[AreaView]:
    """District-wide roles see the whole district; a township operator or an institution its own township."""
    query = select(Area).where(Area.code.startswith(principal.district)).order_by(Area.code)
    if principal.role in (Role.TOWNSHIP_OPERATOR, Role.INSTITUTION):
        query = query.where((Area.code == principal.area_code) | (Area.parent_code == principal.area_code))
    return [AreaView(code=area.code, name=area.name, level=area.level) for area in uow.session.scalars(query)]
