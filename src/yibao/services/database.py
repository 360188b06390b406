"""Use cases for the operator: bring the database to the current schema; seed a district's areas."""

from __future__ import annotations

from datetime import datetime

from yibao.adapters.db import migrate
from yibao.adapters.db.database import make_engine, session_factory
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.adapters.db.url import database_url
from yibao.services.policy.plans import get_policy
from yibao.services.registry.areas import current_district, seed_district, seed_plan


def upgrade_database(url: str | None = None) -> str:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    return url or database_url()


def seed(district_code: str, *, actor: str, now: datetime, url: str | None = None) -> int:
    district_code = current_district(district_code)
    engine = make_engine(url)
    try:
        with UnitOfWork(session_factory(engine), actor=actor, now=now) as uow:
            return seed_district(uow, district_code)
    finally:
        engine.dispose()


def seed_plan_scope(policy_id: str, *, actor: str, now: datetime, url: str | None = None) -> tuple[str, int]:
    """Seed the areas a plan is for (bundled or stored): its district, or only its townships where the plan is
    narrower (滕州's: 荆河街道). The plan's name and the areas added."""
    engine = make_engine(url)
    try:
        with UnitOfWork(session_factory(engine), actor=actor, now=now) as uow:
            policy = get_policy(policy_id, uow.session)
            return policy.region.name, seed_plan(uow, policy)
    finally:
        engine.dispose()
