"""Campaigns (参保缴费工作): a district's insurance year bound to one plan, opened by the district admin and closed
when its work is done. Several may be open at once — the plans open next year's window in September while this
year's newborns, continuations and late payers still register — and every use case that needs "the campaign
under way" asks :func:`campaign_policy` which one a day belongs to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.adapters.db.tables import Campaign
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.policy import Policy
from yibao.domain.policy.checks import instant_closes, instant_opens
from yibao.domain.timeutil import as_shanghai
from yibao.services.access import Permission, Principal
from yibao.services.policy.plans import get_policy


@dataclass(frozen=True)
class CampaignView:
    district_code: str
    insurance_year: int
    policy_id: str
    policy_name: str
    opened_at: datetime
    opened_by: str
    closed_at: datetime | None
    window_open: bool  # the plan's registration window is open today


def _view(session: Session, row: Campaign, today: date) -> CampaignView:
    policy = get_policy(row.policy_id, session)
    return CampaignView(
        row.district_code,
        row.insurance_year,
        row.policy_id,
        policy.name,
        row.opened_at,
        row.opened_by,
        row.closed_at,
        window_open(policy, today),
    )


def window_open(policy: Policy, day: date) -> bool:
    """Whether a registration window of the plan is open on ``day`` (in Shanghai)."""
    return any(
        instant_opens(w.opens).date() <= day <= instant_closes(w.closes).date()
        for w in policy.enrollment.windows
        if "registration" in w.applies_to
    )


def choose(plans: list[Policy], day: date, admits: Callable[[Policy], bool] | None = None) -> Policy:
    """Of the plans of the open campaigns, the one a day belongs to by default: the one whose registration window
    is open (the later year if two are); else, where the people are known (``admits``: does the plan take them
    on this day — a newborn, a continuation, a late payer), the plans that take them; of those (or of all), the
    one of the day's own insurance year, else the nearest year."""
    in_window = [plan for plan in plans if window_open(plan, day)]
    if in_window:
        return max(in_window, key=lambda plan: plan.insurance_year)
    if admits is not None:
        plans = [plan for plan in plans if admits(plan)] or plans
    this_year = [plan for plan in plans if plan.insurance_year == day.year]
    if this_year:
        return this_year[0]
    return min(plans, key=lambda plan: (abs(plan.insurance_year - day.year), -plan.insurance_year))


@dataclass(frozen=True)
class CampaignChoice:
    """An open campaign as a clerk chooses it: its plan, whether its registration window is open today, and
    whether it is the day's default."""

    policy: Policy
    in_window: bool
    default: bool

    @property
    def label(self) -> str:
        """Which year is which, in the clerk's words."""
        if self.in_window:
            return f"{self.policy.insurance_year}年度（参保登记期内）"
        return f"{self.policy.insurance_year}年度（登记期外：新生儿、中断续保、补缴等按方案办理）"


def campaign_choices(session: Session, district: str, day: date) -> list[CampaignChoice]:
    """The district's open campaigns on ``day``, the day's default first (:func:`choose`), then by year."""
    plans = [get_policy(row.policy_id, session) for row in open_campaigns(session, district, day)]
    if not plans:
        return []
    default = choose(plans, day)
    ordered = sorted(plans, key=lambda plan: (plan.id != default.id, plan.insurance_year))
    return [CampaignChoice(plan, window_open(plan, day), plan.id == default.id) for plan in ordered]


def open_campaigns(session: Session, district: str, day: date) -> list[Campaign]:
    """The district's campaigns that count on ``day``: every one opened, unless closed before that day. When it
    was opened does not matter: a report as of last spring, asked today, belongs to the campaign of its year."""
    rows = session.scalars(
        select(Campaign).where(Campaign.district_code == district).order_by(Campaign.insurance_year)
    ).all()
    return [row for row in rows if row.closed_at is None or as_shanghai(row.closed_at).date() >= day]


def open_campaign(uow: UnitOfWork, principal: Principal | None, policy_id: str) -> CampaignView:
    """Open the campaign of a plan's district and insurance year; the same plan again changes nothing, another
    plan for a year already opened is refused (correct a plan by revision instead)."""
    if principal is not None:
        principal.require(Permission.MANAGE_POLICIES)
    policy = get_policy(policy_id, uow.session)
    district = policy.region.code
    if principal is not None and district != principal.district:
        raise YibaoError(
            "POLICY_OTHER_DISTRICT", field="policy_id", policy=policy.id, region=policy.region.name, township=district
        )
    existing = uow.session.scalars(
        select(Campaign).where(Campaign.district_code == district, Campaign.insurance_year == policy.insurance_year)
    ).first()
    today = as_shanghai(uow.now).date()
    if existing is not None:
        if existing.policy_id != policy.id:
            raise YibaoError(
                "CAMPAIGN_EXISTS", field="policy_id", year=policy.insurance_year, policy=existing.policy_id
            )
        return _view(uow.session, existing, today)
    row = Campaign(
        district_code=district,
        insurance_year=policy.insurance_year,
        policy_id=policy.id,
        opened_at=uow.now,
        opened_by=uow.actor,
    )
    uow.session.add(row)
    uow.session.flush()
    uow.audit("open", "campaign", row.id, None, {"policy_id": policy.id, "insurance_year": policy.insurance_year})
    uow.commit()
    return _view(uow.session, row, today)


def close_campaign(uow: UnitOfWork, principal: Principal | None, district: str, insurance_year: int) -> CampaignView:
    if principal is not None:
        principal.require(Permission.MANAGE_POLICIES)
        district = principal.district
    row = uow.session.scalars(
        select(Campaign).where(Campaign.district_code == district, Campaign.insurance_year == insurance_year)
    ).first()
    if row is None:
        raise YibaoError("CAMPAIGN_UNKNOWN", field="insurance_year", district=district, year=insurance_year)
    if row.closed_at is None:
        row.closed_at, row.closed_by = uow.now, uow.actor
        uow.audit("close", "campaign", row.id, None, {"insurance_year": insurance_year})
        uow.commit()
    return _view(uow.session, row, as_shanghai(uow.now).date())


def list_campaigns(uow: UnitOfWork, district: str) -> list[CampaignView]:
    rows = uow.session.scalars(
        select(Campaign).where(Campaign.district_code == district).order_by(Campaign.insurance_year)
    ).all()
    today = as_shanghai(uow.now).date()
    return [_view(uow.session, row, today) for row in rows]


def campaign_policy(district: str, today: date, session: Session) -> Policy:
    """The plan of the campaign under way in a district on ``today``: of its open campaigns, the one the day
    belongs to (:func:`choose`). No plan is guessed: a district with no campaign that day is told to open one
    (CAMPAIGN_NONE_OPEN), where the guess of old — its latest plan — took next year's over on 1 January."""
    rows = open_campaigns(session, district, today)
    if not rows:
        raise YibaoError("CAMPAIGN_NONE_OPEN", field="insurance_year", district=district, day=today.isoformat())
    return choose([get_policy(row.policy_id, session) for row in rows], today)
