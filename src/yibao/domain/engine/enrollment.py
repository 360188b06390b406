"""Stage: dates, category, tier, and the path by which a resident may enroll (window, newborn, continuation,
late) — or the reason they may not."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from yibao.domain.engine.benefit import newborn_start
from yibao.domain.engine.common import add_days, age_on, first_match
from yibao.domain.policy.checks import instant_closes, instant_opens
from yibao.domain.policy.model import NonlocalAdmission, Policy, Window

INDIVIDUAL = "individual"


def date_steps() -> list[list[pl.Expr]]:
    """The dates and defaults every later step reads, as ``with_columns`` steps."""
    paid_at = pl.coalesce(pl.col("paid_at"), pl.col("registered_at"))
    return [
        [
            paid_at.alias("paid_at"),
            pl.col("registered_at").dt.date().alias("registered_on"),
            paid_at.dt.date().alias("paid_on"),
            pl.col("channel").fill_null(INDIVIDUAL).alias("channel"),
            pl.col("residency").fill_null("local_hukou").alias("residency"),
            pl.col("in_employee_insurance").fill_null(False).alias("in_employee_insurance"),
            pl.col("identities").fill_null(pl.lit([], dtype=pl.List(pl.String))).alias("identities"),
        ],
        [age_on(pl.col("birth_date"), pl.col("registered_on")).alias("age")],
    ]


def newborn_qualifies(policy: Policy) -> pl.Expr:
    rule = policy.enrollment.newborn
    if rule is None:
        return pl.lit(False)
    birth, registered = pl.col("birth_date"), pl.col("registered_on")
    condition = birth <= registered
    if rule.births.born_from is not None:
        condition &= birth >= rule.births.born_from
    if rule.births.born_to is not None:
        condition &= birth <= rule.births.born_to
    within = rule.registration.within
    if within is not None and within.months is not None:
        condition &= registered <= birth.dt.offset_by(f"{within.months}mo")
    if within is not None and within.days is not None:
        condition &= registered <= add_days(birth, within.days)
    return condition.fill_null(False)


def with_category(policy: Policy) -> list[pl.Expr]:
    bands = policy.default_category.by_age
    by_age = first_match(
        [(pl.col("age") < band.below, pl.lit(band.category)) for band in bands[:-1] if band.below is not None],
        otherwise=pl.lit(bands[-1].category),
    )
    default = pl.when(pl.col("newborn_qualifies")).then(pl.lit("newborn")).otherwise(by_age)
    if policy.enrollment.newborn is None:
        default = by_age
    return [
        pl.col("category").is_null().alias("category_defaulted"),
        pl.coalesce(pl.col("category"), default).alias("category"),
    ]


def _first_open(policy: Policy) -> datetime:
    return min(instant_opens(w.opens) for w in policy.enrollment.windows)


def _window_matches(window: Window, instant: str, *, channel_matters: bool = True) -> pl.Expr:
    condition = pl.col(instant).is_between(instant_opens(window.opens), instant_closes(window.closes))
    if channel_matters and window.channels != "all":
        condition &= pl.col("channel").is_in(window.channels)
    return condition


def _windows(policy: Policy, kind: str) -> list[Window]:
    return [w for w in policy.enrollment.windows if kind in w.applies_to]


def with_path(policy: Policy) -> list[pl.Expr]:
    """Which way in applies, in order of preference; the window ids matched are kept for the rules."""
    registration = _windows(policy, "registration")
    payment = _windows(policy, "payment")
    registration_window = first_match([(_window_matches(w, "registered_at"), pl.lit(w.id)) for w in registration])
    payment_window = first_match([(_window_matches(w, "paid_at"), pl.lit(w.id)) for w in payment])
    regular = registration_window.is_not_null() & payment_window.is_not_null()
    year_end = policy.benefit_period.end

    newborn = pl.lit(False)
    rule = policy.enrollment.newborn
    if rule is not None and rule.registration.anytime:
        # No bound on the payment day here: a baby born late in the year may be paid for after it ends while its
        # cover from birth still falls in the year (蓟州 "可随时参保", 宁河 "一年内"); a start past the year end
        # is refused afterwards as no_cover_left.
        newborn = (pl.col("category") == "newborn") & pl.col("newborn_qualifies")
    # A newborn registered in the window before the year starts is covered from birth, as the newborn rule says,
    # not only from the year's first day: registering early must not give less cover (蓟州: a baby born in
    # October 2017 and registered in December).
    newborn_earlier = newborn & (newborn_start(policy) < pl.lit(policy.benefit_period.start, dtype=pl.Date))

    continuation = pl.lit(False)
    if policy.enrollment.continuation is not None:
        ended = pl.col("employee_insurance_ended")
        months = policy.enrollment.continuation.within_months
        continuation = (
            (pl.col("registered_on") >= ended)
            & (pl.col("registered_on") <= ended.dt.offset_by(f"{months}mo"))
            & (pl.col("paid_on") <= year_end)
        ).fill_null(False)

    late = pl.lit(False)
    late_rule = policy.enrollment.late
    if late_rule.accepted:
        late = (pl.col("registered_at") >= _first_open(policy)) & (pl.col("paid_on") <= (late_rule.until or year_end))

    path = first_match(
        [
            (newborn_earlier.fill_null(False), pl.lit("newborn")),
            (regular, pl.lit("regular")),
            (newborn, pl.lit("newborn")),
            (continuation, pl.lit("continuation")),
            (late, pl.lit("late")),
        ]
    )
    return [
        registration_window.alias("registration_window"),
        payment_window.alias("payment_window"),
        path.alias("path"),
        _window_reason(policy, registration).alias("window_reason"),
    ]


def _window_reason(policy: Policy, registration: list[Window]) -> pl.Expr:
    """Why no way in applies: too early, this channel closed, registration closed, or payment closed."""
    registered_in_own = pl.any_horizontal([_window_matches(w, "registered_at") for w in registration])
    registered_in_any = pl.any_horizontal(
        [_window_matches(w, "registered_at", channel_matters=False) for w in registration]
    )
    return first_match(
        [
            (pl.col("registered_at") < _first_open(policy), pl.lit("window_not_open")),
            (~registered_in_own & registered_in_any, pl.lit("channel_closed")),
            (~registered_in_own, pl.lit("registration_closed")),
        ],
        otherwise=pl.lit("payment_closed"),
    )


def tier_allowed(policy: Policy) -> pl.Expr:
    return first_match(
        [(pl.col("category") == name, pl.col("tier").is_in(rule.tiers)) for name, rule in policy.categories.items()],
        otherwise=pl.lit(False),
    )


def under_min_age(policy: Policy) -> pl.Expr:
    pairs = [
        (pl.col("category") == name, pl.col("age") < rule.min_age.value)
        for name, rule in policy.categories.items()
        if rule.min_age is not None
    ]
    return first_match(pairs, otherwise=pl.lit(False))


def admission_applies(admission: NonlocalAdmission) -> pl.Expr:
    """A resident the plan takes whatever their residency: of the admission's categories (and channels)."""
    condition = pl.col("category").is_in(admission.categories)
    if admission.channels is not None:
        condition &= pl.col("channel").is_in(admission.channels)
    return condition


def residency_ok(policy: Policy) -> pl.Expr:
    accepted = pl.col("residency").is_in(policy.eligibility.residency.accepted)
    for admission in policy.eligibility.nonlocal_admissions:
        accepted |= admission_applies(admission)
    return accepted


def blocking_reason(policy: Policy) -> pl.Expr:
    """Reasons that no date can cure, checked before the windows."""
    return first_match(
        [
            (pl.col("id_error").is_not_null(), pl.lit("id_number_invalid")),
            (~pl.col("category").is_in(list(policy.categories)), pl.lit("category_not_in_policy")),
            (~residency_ok(policy), pl.lit("residency_not_accepted")),
            (pl.col("in_employee_insurance"), pl.lit("in_employee_insurance")),
            (under_min_age(policy), pl.lit("under_category_min_age")),
            (~tier_allowed(policy), pl.lit("tier_not_allowed")),
        ]
    )
