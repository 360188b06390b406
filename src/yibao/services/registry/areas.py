"""Areas and organizations: a district's townships seeded, the checks every use case makes on a township or village
code, and the lists for forms and filters."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from yibao.adapters import policy_files
from yibao.adapters.db.tables import Area, Organization
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.adapters.township_data import DISTRICTS
from yibao.domain.errors import YibaoError
from yibao.domain.policy import Policy
from yibao.services.access import Principal, Role
from yibao.services.registry.views import AreaView, OrganizationView


def list_areas(uow: UnitOfWork, principal: Principal) -> list[AreaView]:
    """District-wide roles see the whole district; a township operator or an institution its own township."""
    query = select(Area).where(Area.code.startswith(principal.district)).order_by(Area.code)
    if principal.role in (Role.TOWNSHIP_OPERATOR, Role.INSTITUTION):
        query = query.where((Area.code == principal.area_code) | (Area.parent_code == principal.area_code))
    return [
        AreaView(code=area.code, name=area.name, level=area.level, parent_code=area.parent_code)
        for area in uow.session.scalars(query)
    ]


def township_area(uow: UnitOfWork, district: str, code: str) -> Area:
    """The township with this code in the district, or AREA_UNKNOWN naming the code."""
    area = uow.session.get(Area, code)
    if area is None or area.level != "township" or code[:6] != district:
        raise YibaoError("AREA_UNKNOWN", field="township_code", area=code, level="镇（街）")
    return area


def check_village(uow: UnitOfWork, township_code: str, village_code: str) -> None:
    village = uow.session.get(Area, village_code)
    if village is None or village.parent_code != township_code:
        raise YibaoError("VILLAGE_UNKNOWN", field="village_code", township=township_code, area=village_code)


def list_organizations(uow: UnitOfWork, principal: Principal) -> list[OrganizationView]:
    """Schools, kindergartens and institutions of the areas this principal sees."""
    visible = {area.code: area.name for area in list_areas(uow, principal) if area.level == "township"}
    query = select(Organization).where(Organization.township_code.in_(visible)).order_by(Organization.name)
    return [
        OrganizationView(
            id=item.id,
            name=item.name,
            kind=item.kind,
            township_code=item.township_code,
            township_name=visible[item.township_code],
        )
        for item in uow.session.scalars(query)
    ]


def current_district(code: str) -> str:
    """Today's code of a district: itself, or the district that took over an abolished one (120221 宁河县 →
    120117 宁河区), as the plans record it in ``region.former_codes``. AREA_UNKNOWN for a district yibao has no
    townships of."""
    if code in DISTRICTS:
        return code
    for policy_id in policy_files.bundled_ids():
        region = policy_files.load_bundled(policy_id).region
        if code in region.former_codes and region.code in DISTRICTS:
            return region.code
    raise YibaoError("AREA_UNKNOWN", field="district", area=code, level="区县（已内置：" + "、".join(DISTRICTS) + "）")


def seed_district(uow: UnitOfWork, district_code: str, only: Sequence[str] = ()) -> int:
    """Add a district and its townships (today's statistical codes) — ``only`` those where given (a plan's scope);
    existing areas are left as they are."""
    district_code = current_district(district_code)
    name, townships = DISTRICTS[district_code]
    if only:
        townships = [(code, township) for code, township in townships if code in only]
    session = uow.session
    added = 0
    district_key = f"{district_code}000000"
    if session.get(Area, district_key) is None:
        session.add(Area(code=district_key, name=name, level="district", parent_code=None))
        session.flush()
        added += 1
    for code, township in townships:
        if session.get(Area, code) is None:
            session.add(Area(code=code, name=township, level="township", parent_code=district_key))
            added += 1
    if added:
        uow.audit("seed", "district", district_key, None, {"areas_added": added})
    uow.commit()
    return added


def seed_plan(uow: UnitOfWork, policy: Policy) -> int:
    """Seed what a plan is for: its district's townships, or only those of its scope (滕州's plan: 荆河街道)."""
    return seed_district(uow, policy.region.code, policy.region.townships)
