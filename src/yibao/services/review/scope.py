"""Which registers a user sees, and which chain a register goes through: its district's campaign's plan."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, select

from yibao.adapters.db.tables import Campaign, VillageRegister
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.registers import USUAL_CHAIN
from yibao.domain.states import ReviewStep
from yibao.services.access import DISTRICT_ROLES, Permission, Principal, Role
from yibao.services.policy.plans import get_policy

SEES_REGISTERS = (Permission.TAKE_PAYMENTS, Permission.CHECK_REGISTERS, Permission.REVIEW_REGISTERS)


@dataclass(frozen=True)
class Chain:
    steps: tuple[ReviewStep, ...]
    account: str | None  # where the money goes, as the plan names it


def chain_of(uow: UnitOfWork, district: str, year: int) -> Chain:
    """The review chain of the district's campaign for ``year``: the plan's, else the township's check and the
    deposit."""
    campaign = uow.session.scalars(
        select(Campaign).where(Campaign.district_code == district, Campaign.insurance_year == year)
    ).first()
    policy = get_policy(campaign.policy_id, uow.session) if campaign is not None else None
    if policy is None or policy.review_chain is None:
        return Chain(USUAL_CHAIN, None)
    return Chain(tuple(policy.review_chain.steps), policy.review_chain.account)


def may_see(principal: Principal) -> None:
    if not any(principal.may(permission) for permission in SEES_REGISTERS):
        principal.require(Permission.TAKE_PAYMENTS)


def register_scope(principal: Principal) -> ColumnElement[bool]:
    """The registers a principal may see: the district's for district roles, the township's for its operator; a
    school or institution none (it collects for its own people, and a village's register names villagers)."""
    if principal.role in DISTRICT_ROLES:
        return VillageRegister.township_code.startswith(principal.district)
    if principal.role is Role.TOWNSHIP_OPERATOR:
        return VillageRegister.township_code == principal.area_code
    return false()


def visible_register(uow: UnitOfWork, principal: Principal, register_id: int, lock: bool = False) -> VillageRegister:
    may_see(principal)
    query = select(VillageRegister).where(VillageRegister.id == register_id, register_scope(principal))
    row = uow.session.scalars(query.with_for_update() if lock else query).first()
    if row is None:
        raise YibaoError("REGISTER_NOT_FOUND", field="register_id", id=register_id)
    return row
