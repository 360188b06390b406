"""Organizations that enroll their own people (代收代缴) — schools, kindergartens, nurseries, welfare institutions,
universities: created by the district bureau with their kind and township, after which their users are added
(`yibao user add --role institution --organization ID`) and their rosters imported."""

from __future__ import annotations

from sqlalchemy import func, select

from yibao.adapters.db.tables import Organization
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.states import OrganizationKind
from yibao.services.access import Permission, Principal
from yibao.services.registry.areas import township_area
from yibao.services.registry.views import OrganizationView


def add_organization(
    uow: UnitOfWork,
    principal: Principal | None,
    name: str,
    kind: str,
    township_code: str,
    *,
    district: str | None = None,
) -> OrganizationView:
    """A new organization in a township of the district; the same name in the same township again is the same
    organization. ``principal`` None: the server's operator, for ``district``."""
    if principal is not None:
        principal.require(Permission.MANAGE_AREAS)
        district = principal.district
    name = " ".join(name.split())
    if not name:
        raise YibaoError("ORGANIZATION_NAME_REQUIRED", field="name")
    if kind not in OrganizationKind.codes():
        allowed = "、".join(f"{k.code}（{k.zh}）" for k in OrganizationKind)
        raise YibaoError("ORGANIZATION_KIND_UNKNOWN", field="kind", kind=kind, allowed=allowed)
    township = township_area(uow, district or township_code[:6], township_code)
    existing = uow.session.scalars(
        select(Organization).where(
            Organization.township_code == township.code, func.lower(Organization.name) == name.lower()
        )
    ).first()
    if existing is None:
        existing = Organization(name=name, kind=kind, township_code=township.code)
        uow.session.add(existing)
        uow.session.flush()
        uow.audit(
            "create", "organization", existing.id, None, {"name": name, "kind": kind, "township_code": township.code}
        )
        uow.commit()
    return OrganizationView(
        id=existing.id,
        name=existing.name,
        kind=existing.kind,
        township_code=township.code,
        township_name=township.name,
    )
