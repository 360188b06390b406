"""Plan what-if (测算): a draft plan run over this year's people, compared person by person with this year.

Frames in, frames out, no I/O. The base frame (:data:`BASE_SCHEMA`) holds each person of the base population
with this year's figures — as billed where the enrollment was assessed, else as the current plan assesses them;
:func:`draft_inputs` turns it into the engine's input under the draft as the options say, :func:`compare` lays the
draft's results beside this year's, and :func:`summarize` totals both sides by payer, township, category, tier and
special group, with who pays more, less or the same and who is newly refused or admitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import polars as pl

from yibao.domain.engine.inputs import RESIDENT_SCHEMA, SHANGHAI_DATETIME
from yibao.domain.policy.model import Policy

FIGURES = ("individual", "government", "assisted", "financing")
FIGURE_NAMES = {
    "individual": "个人缴费",
    "government": "政府补助",
    "assisted": "特殊群体资助",
    "financing": "筹资总额",
}
# The engine's result column for each figure.
ENGINE_FIGURES = {
    "individual": "individual_due_fen",
    "government": "government_subsidy_fen",
    "assisted": "assisted_subsidy_fen",
    "financing": "financing_total_fen",
}

BASE_SCHEMA: dict[str, pl.DataType] = {
    "resident_id": pl.Int64(),
    "id_number": pl.String(),
    "name": pl.String(),
    "township_code": pl.String(),
    "village_code": pl.String(),
    "residency": pl.String(),
    "channel": pl.String(),
    "enrolled": pl.Boolean(),  # enrolled in the base campaign; False: registered, not enrolled this year
    "billed": pl.Boolean(),  # this year's figures are the assessed (billed) ones; False: assessed for the report
    "category": pl.String(),  # this year's (null: not enrolled)
    "tier": pl.String(),
    "identities": pl.List(pl.String()),  # certified by a department, valid on the day that counts
    "claims": pl.List(pl.String()),  # claimed at the counter or on a roster, not yet decided
    "eligible_now": pl.Boolean(),
    "reason_now": pl.String(),  # why this year's plan refuses an unenrolled person
    "group_now": pl.String(),
    **{f"{figure}_now": pl.Int64() for figure in FIGURES},
}


class TierRule(StrEnum):
    KEEP = "keep"  # this year's tier where the draft has it for the category, else the draft's default
    DEFAULT = "default"  # the draft's default tier for everyone (or the special group's enrolled tier)


TIER_RULE_NAMES = {
    TierRule.KEEP: "保留本年度缴费档次（草案中该人员类别没有此档次的，按草案默认档次）",
    TierRule.DEFAULT: "一律按草案默认档次（特殊群体按其资助档次）",
}


class Outcome(StrEnum):
    RISE = "rise"
    FALL = "fall"
    SAME = "same"
    NEWLY_REFUSED = "newly_refused"
    NEWLY_ADMITTED = "newly_admitted"
    REFUSED_BOTH = "refused_both"


OUTCOME_NAMES = {
    Outcome.RISE: "个人缴费增加",
    Outcome.FALL: "个人缴费减少",
    Outcome.SAME: "个人缴费不变",
    Outcome.NEWLY_REFUSED: "草案下不能参保",
    Outcome.NEWLY_ADMITTED: "草案下新可参保",
    Outcome.REFUSED_BOTH: "两者均不能参保",
}


@dataclass(frozen=True)
class TierShift:
    """A share of the people of one tier moved to another (``share`` 0–1): the rows chosen are spread evenly
    over the tier's people in ID-number order, so the same draft and base choose the same people every time."""

    from_tier: str
    to_tier: str
    share: float


@dataclass(frozen=True)
class Options:
    registered_at: datetime  # the draft's registration moment for everyone (aware, Asia/Shanghai)
    tier_rule: TierRule = TierRule.KEEP
    tier_shift: TierShift | None = None
    include_unenrolled: bool = False


def age_categories(policy: Policy) -> set[str]:
    """The categories a plan gives by age (and to newborns): re-derived under the draft, not kept."""
    return {band.category for band in policy.default_category.by_age} | {"newborn"}


def draft_inputs(base: pl.DataFrame, current: Policy, draft: Policy, options: Options) -> pl.DataFrame:
    """The engine's input under the draft: everyone registered at ``options.registered_at``; categories given by
    a roster or an organization kept, those given by age re-derived; tiers as the rule says; identities kept,
    claims counted as the draft counts them."""
    by_age = sorted(age_categories(current) | age_categories(draft))
    category = pl.when(pl.col("category").is_in(by_age)).then(None).otherwise(pl.col("category"))
    allowed = [(name, rule.tiers) for name, rule in draft.categories.items()]
    if options.tier_rule is TierRule.KEEP:
        keeps = pl.lit(False)
        for name, tiers in allowed:
            keeps = keeps | ((pl.coalesce(category, pl.lit("")) == name) & pl.col("tier").is_in(tiers))
        if by_age:  # a re-derived category: the tier is kept where any age category of the draft allows it
            age_tiers = sorted({t for name, tiers in allowed if name in by_age for t in tiers})
            keeps = keeps | (category.is_null() & pl.col("tier").is_in(age_tiers))
        tier: pl.Expr = pl.when(keeps).then(pl.col("tier"))
    else:
        tier = pl.lit(None, dtype=pl.String)
    frame = base.with_columns(tier.alias("draft_tier"))
    if options.tier_shift is not None:
        frame = _shifted(frame, options.tier_shift, draft)
    identities = counted_identities(draft)
    return frame.select(
        "resident_id",
        pl.col("id_number"),
        pl.lit(options.registered_at, dtype=SHANGHAI_DATETIME).alias("registered_at"),
        pl.lit(None, dtype=SHANGHAI_DATETIME).alias("paid_at"),
        category.alias("category"),
        pl.col("draft_tier").alias("tier"),
        identities.alias("identities"),
        pl.lit(None, dtype=pl.Date).alias("employee_insurance_ended"),
        pl.col("channel"),
        pl.col("residency"),
        pl.lit(None, dtype=pl.Boolean).alias("in_employee_insurance"),
    ).select("resident_id", *RESIDENT_SCHEMA)


def _shifted(frame: pl.DataFrame, shift: TierShift, draft: Policy) -> pl.DataFrame:
    """Move ``share`` of the people whose draft tier is ``from_tier`` to ``to_tier``, among those whose category
    this year may take ``to_tier`` under the draft (a student's low tier does not move to one students may not
    choose): row i of them (in ID-number order) moves when floor((i+1)·share) > floor(i·share) — exactly
    round-down(n·share) people, evenly spread."""
    may_move = [name for name, rule in draft.categories.items() if shift.to_tier in rule.tiers]
    index = pl.int_range(pl.len()).over("_moving_from", order_by="id_number")
    moving = pl.col("_moving_from") & (((index + 1) * shift.share).floor() > (index * shift.share).floor())
    return (
        frame.with_columns(
            ((pl.col("draft_tier") == shift.from_tier) & pl.col("category").is_in(may_move))
            .fill_null(False)
            .alias("_moving_from")
        )
        .with_columns(pl.when(moving).then(pl.lit(shift.to_tier)).otherwise(pl.col("draft_tier")).alias("draft_tier"))
        .drop("_moving_from")
    )


def counted_identities(policy: Policy) -> pl.Expr:
    """The identities a plan assesses: the certified ones, and the claims where it subsidises a claim until a
    department decides. Joined only where someone has a claim: joining a million empty lists costs more than the
    assessment itself."""
    if not policy.assisted.claims_subsidised:
        return pl.col("identities")
    joined = pl.concat_list("identities", "claims").list.unique()
    return pl.when(pl.col("claims").list.len() > 0).then(joined).otherwise(pl.col("identities"))


def payer_ids(current: Policy, draft: Policy) -> list[str]:
    """Every payer of either plan, this year's first."""
    return list(dict.fromkeys([*current.payers, *draft.payers]))


def payer_names(current: Policy, draft: Policy) -> dict[str, str]:
    return {payer: (draft.payers.get(payer) or current.payers[payer]).name for payer in payer_ids(current, draft)}


def compare(base: pl.DataFrame, results: pl.DataFrame, current: Policy, draft: Policy) -> pl.DataFrame:
    """Each person's figures this year and under the draft, side by side, with the change of the individual
    contribution and the :class:`Outcome`. ``results`` is the engine's output on :func:`draft_inputs`, in order;
    ``base`` carries ``payer_now__<payer>`` for every payer of :func:`payer_ids`."""
    payers = payer_ids(current, draft)
    eligible = pl.col("eligible_new")
    new = results.select(
        pl.col("eligible").alias("eligible_new"),
        pl.col("reason").alias("reason_new"),
        pl.col("category").alias("category_new"),
        pl.when(pl.col("eligible")).then(pl.col("tier")).alias("tier_new"),
        pl.col("assisted_group").alias("group_new"),
        *[
            pl.when(pl.col("eligible")).then(pl.col(ENGINE_FIGURES[figure])).otherwise(0).alias(f"{figure}_new")
            for figure in FIGURES
        ],
        *[
            (
                pl.when(pl.col("eligible")).then(pl.col(f"assisted_fen__{payer}")).otherwise(0)
                if payer in draft.payers
                else pl.lit(0, dtype=pl.Int64)
            ).alias(f"payer_new__{payer}")
            for payer in payers
        ],
    )
    both = pl.col("eligible_now") & eligible
    change = pl.when(both).then(pl.col("individual_new") - pl.col("individual_now"))
    outcome = (
        pl.when(both & (pl.col("change_fen") > 0))
        .then(pl.lit(Outcome.RISE.value))
        .when(both & (pl.col("change_fen") < 0))
        .then(pl.lit(Outcome.FALL.value))
        .when(both)
        .then(pl.lit(Outcome.SAME.value))
        .when(pl.col("eligible_now"))
        .then(pl.lit(Outcome.NEWLY_REFUSED.value))
        .when(eligible)
        .then(pl.lit(Outcome.NEWLY_ADMITTED.value))
        .otherwise(pl.lit(Outcome.REFUSED_BOTH.value))
    )
    return (
        pl.concat(
            [
                base.select(
                    "resident_id",
                    "id_number",
                    "name",
                    "township_code",
                    "village_code",
                    "enrolled",
                    "billed",
                    pl.col("category").alias("category_now"),
                    pl.when(pl.col("eligible_now")).then(pl.col("tier")).alias("tier_now"),
                    "group_now",
                    "eligible_now",
                    "reason_now",
                    *[f"{figure}_now" for figure in FIGURES],
                    *[f"payer_now__{payer}" for payer in payers],
                ),
                new,
            ],
            how="horizontal",
        )
        .with_columns(change.alias("change_fen"))
        .with_columns(outcome.alias("outcome"))
    )


def _sums(persons: pl.DataFrame, side: str, key: str | None, payers: list[str]) -> pl.DataFrame:
    eligible = persons.filter(pl.col(f"eligible_{side}"))
    columns = [
        pl.len().alias(f"people_{side}"),
        *[pl.col(f"{figure}_{side}").sum().alias(f"{figure}_{side}") for figure in FIGURES],
        *[pl.col(f"payer_{side}__{payer}").sum().alias(f"payer_{side}__{payer}") for payer in payers],
    ]
    if key is None:
        return eligible.select(columns)
    column = "township_code" if key == "township" else f"{key}_{side}"
    return eligible.group_by(pl.col(column).alias("key")).agg(columns)


def breakdown(persons: pl.DataFrame, key: str | None, payers: list[str]) -> list[dict[str, Any]]:
    """Totals this year and under the draft, by ``key`` (``township``, ``category``, ``tier``, ``group``; None:
    one row for all): each side summed over its own eligible people under its own key (a person whose
    category changes counts under this year's category on one side and the draft's on the other)."""
    now, new = _sums(persons, "now", key, payers), _sums(persons, "new", key, payers)
    if key is None:
        return pl.concat([now, new], how="horizontal").fill_null(0).to_dicts()
    joined = now.join(new, on="key", how="full", coalesce=True, nulls_equal=True)
    return joined.with_columns(pl.exclude("key").fill_null(0)).sort("key", nulls_last=True).to_dicts()


def _distribution(persons: pl.DataFrame, most: int = 12) -> list[dict[str, Any]]:
    """How the individual contribution changes among those eligible on both sides: each distinct change with its
    count, or, where there are more than ``most``, ``most`` equal ranges between the smallest and the largest."""
    changes = persons.filter(pl.col("change_fen").is_not_null()).select("change_fen")
    counted = changes.group_by("change_fen").len().sort("change_fen")
    if counted.height <= most:
        return [{"from_fen": row[0], "to_fen": row[0], "count": row[1]} for row in counted.iter_rows()]
    low, high = counted["change_fen"].min(), counted["change_fen"].max()
    assert isinstance(low, int) and isinstance(high, int)
    width = -(-(high - low + 1) // most)
    binned = counted.group_by(((pl.col("change_fen") - low) // width).alias("bin")).agg(pl.col("len").sum()).sort("bin")
    return [
        {"from_fen": low + bin_ * width, "to_fen": min(high, low + (bin_ + 1) * width - 1), "count": count}
        for bin_, count in binned.iter_rows()
    ]


def summarize(persons: pl.DataFrame, current: Policy, draft: Policy) -> dict[str, Any]:
    """Everything a report shows, as JSON-ready data (amounts in fen, codes for machines)."""
    payers = payer_ids(current, draft)
    outcomes = dict(persons.group_by("outcome").len().iter_rows())
    refused = (
        persons.filter(pl.col("outcome") == Outcome.NEWLY_REFUSED.value)
        .group_by(pl.col("reason_new").alias("reason"))
        .len()
        .sort("len", descending=True)
    )
    admitted = (
        persons.filter(pl.col("outcome") == Outcome.NEWLY_ADMITTED.value)
        .group_by(pl.col("reason_now").alias("reason"))
        .len()
        .sort("len", descending=True)
    )
    return {
        "people": {
            "base": persons.height,
            "enrolled": int(persons["enrolled"].sum()),
            "eligible_now": int(persons["eligible_now"].sum()),
            "eligible_new": int(persons["eligible_new"].sum()),
        },
        "payers": payers,
        "total": breakdown(persons, None, payers)[0],
        "by_township": breakdown(persons, "township", payers),
        "by_category": breakdown(persons, "category", payers),
        "by_tier": breakdown(persons, "tier", payers),
        "by_group": breakdown(persons, "group", payers),
        "outcomes": {outcome.value: int(outcomes.get(outcome.value, 0)) for outcome in Outcome},
        "distribution": _distribution(persons),
        "newly_refused": [{"reason": reason, "count": count} for reason, count in refused.iter_rows()],
        "newly_admitted": [{"reason": reason, "count": count} for reason, count in admitted.iter_rows()],
    }
