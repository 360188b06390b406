"""The base population of a simulation, read from the registry as one frame (:data:`BASE_SCHEMA`): the base
campaign's enrollees with this year's figures, and, if asked, the district's registered residents not enrolled
that year.

This year's figures are the billed ones where the enrollment was assessed (they are what the district collects);
an enrollment still waiting for its assessment, and a person not enrolled, are assessed under this year's plan in
one engine run, so every person has a this-year side.
"""

from __future__ import annotations

import json
import typing
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Select, String, cast, select

from yibao.adapters.db.arrow_read import read_frame
from yibao.adapters.db.tables import Enrollment, IdentityFlag, Resident
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.certification import CLAIM_SOURCES
from yibao.domain.engine.assess import assess
from yibao.domain.engine.inputs import SHANGHAI_DATETIME
from yibao.domain.policy import Policy
from yibao.domain.simulation import BASE_SCHEMA, ENGINE_FIGURES, FIGURES, counted_identities
from yibao.domain.states import ASSESSED_ENROLLMENTS, LIVE_ENROLLMENTS
from yibao.services.jobs import Progress

COLUMNAR = True  # read through ADBC where it reaches the database (tests switch it off to compare both paths)

ENROLLED_SCHEMA = {
    "resident_id": pl.Int64,
    "id_number": pl.String,
    "name": pl.String,
    "township_code": pl.String,
    "village_code": pl.String,
    "residency": pl.String,
    "channel": pl.String,
    "category": pl.String,
    "tier": pl.String,
    "state": pl.String,
    "registered_at": SHANGHAI_DATETIME,
    **{f"{figure}_now": pl.Int64 for figure in FIGURES},
    "payers_json": pl.String,
    "rules_json": pl.String,
}
_FLAGS = {
    "resident_id": pl.Int64,
    "identity": pl.String,
    "source": pl.String,
    "valid_from": pl.Date,
    "valid_to": pl.Date,
}


def _frame(uow: UnitOfWork, query: Any, schema: dict[str, Any]) -> pl.DataFrame:
    return read_frame(uow.session, query, schema, columnar=COLUMNAR)


def enrolled_query(district: str, year: int) -> Select[Any]:
    """The base campaign's live enrollments with their person and billed figures (:data:`ENROLLED_SCHEMA`)."""
    query = (
        select(
            Enrollment.resident_id,
            Resident.id_number,
            Resident.name,
            Enrollment.township_code,
            Resident.village_code,
            Resident.residency,
            Enrollment.channel,
            Enrollment.category,
            Enrollment.tier,
            Enrollment.state,
            Enrollment.registered_at,
            Enrollment.individual_due_fen,
            Enrollment.government_subsidy_fen,
            Enrollment.assisted_subsidy_fen,
            Enrollment.financing_total_fen,
            # As text: decoded once per distinct value below, not once per row.
            cast(Enrollment.assisted_by_payer_fen, String),
            cast(Enrollment.rules, String),
        )
        .join(Resident, Resident.id == Enrollment.resident_id)
        .where(
            Enrollment.insurance_year == year,
            Enrollment.state.in_(LIVE_ENROLLMENTS),
            Enrollment.township_code.startswith(district),
        )
    )
    return typing.cast("Select[Any]", query)


def _enrolled(uow: UnitOfWork, district: str, year: int) -> pl.DataFrame:
    return _frame(uow, enrolled_query(district, year), ENROLLED_SCHEMA)


def _unenrolled(uow: UnitOfWork, district: str, year: int) -> pl.DataFrame:
    enrolled = select(Enrollment.resident_id).where(
        Enrollment.insurance_year == year, Enrollment.state.in_(LIVE_ENROLLMENTS)
    )
    query = select(
        Resident.id,
        Resident.id_number,
        Resident.name,
        Resident.township_code,
        Resident.village_code,
        Resident.residency,
    ).where(
        Resident.township_code.startswith(district),
        Resident.survival_status == "alive",
        Resident.id.not_in(enrolled),
    )
    schema = {
        name: ENROLLED_SCHEMA[name] for name in ("id_number", "name", "township_code", "village_code", "residency")
    }
    return _frame(uow, query, {"resident_id": pl.Int64, **schema})


def _identities(uow: UnitOfWork, district: str, people: pl.DataFrame) -> pl.DataFrame:
    """Each person's identity flags valid on their ``identity_day``: certified ones and claims apart."""
    query = (
        select(
            IdentityFlag.resident_id,
            IdentityFlag.identity,
            IdentityFlag.source,
            IdentityFlag.valid_from,
            IdentityFlag.valid_to,
        )
        .join(Resident, Resident.id == IdentityFlag.resident_id)
        .where(Resident.township_code.startswith(district))
    )
    flags = _frame(uow, query, _FLAGS)
    day = pl.col("identity_day")
    valid = (
        flags.join(people.select("resident_id", "identity_day"), on="resident_id")
        .filter(
            (pl.col("valid_from").is_null() | (pl.col("valid_from") <= day))
            & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= day))
        )
        .with_columns(pl.col("source").is_in(list(CLAIM_SOURCES)).alias("claim"))
    )
    lists = valid.group_by("resident_id").agg(
        pl.col("identity").filter(~pl.col("claim")).unique().sort().alias("identities"),
        pl.col("identity").filter(pl.col("claim")).unique().sort().alias("claims"),
    )
    empty = pl.lit([], dtype=pl.List(pl.String))
    return people.join(lists, on="resident_id", how="left").with_columns(
        pl.col("identities").fill_null(empty), pl.col("claims").fill_null(empty)
    )


def _decoded(stored: pl.DataFrame, current: Policy, payers: list[str]) -> pl.DataFrame:
    """This year's special group and payer split from the enrollments' stored rules and payer JSON, decoded once
    per distinct text (a plan yields a few dozen)."""
    groups = [group.id for group in current.assisted.groups]
    rule_texts = stored.select("rules_json").unique()
    group_of = [
        next((g for g in groups if f"assisted.{g}" in set(json.loads(text or "[]"))), None)
        for text in rule_texts["rules_json"]
    ]
    payer_texts = stored.select("payers_json").unique()
    split = [json.loads(text or "{}") for text in payer_texts["payers_json"]]
    payer_columns = {f"payer_now__{p}": [int(parts.get(p, 0)) for parts in split] for p in payers}
    return (
        stored.join(
            rule_texts.with_columns(pl.Series("group_now", group_of, dtype=pl.String)),
            on="rules_json",
            how="left",
            nulls_equal=True,
        )
        .join(
            payer_texts.with_columns(**{k: pl.Series(v, dtype=pl.Int64) for k, v in payer_columns.items()}),
            on="payers_json",
            how="left",
            nulls_equal=True,
        )
        .drop("rules_json", "payers_json")
    )


def _assessed_now(people: pl.DataFrame, current: Policy, payers: list[str]) -> pl.DataFrame:
    """This year's side of people with no billed figures: the current plan's assessment, in one engine run."""
    inputs = people.select(
        "id_number",
        "registered_at",
        "category",
        "tier",
        counted_identities(current).alias("identities"),
        "channel",
        "residency",
    )
    results = assess(current, inputs)
    eligible = pl.col("eligible")
    return people.with_columns(
        results.select(
            eligible.alias("eligible_now"),
            pl.col("reason").alias("reason_now"),
            pl.col("category").alias("category"),
            pl.when(eligible).then(pl.col("tier")).alias("tier"),
            pl.col("assisted_group").alias("group_now"),
            *[pl.when(eligible).then(pl.col(ENGINE_FIGURES[f])).otherwise(0).alias(f"{f}_now") for f in FIGURES],
            *[
                (
                    pl.when(eligible).then(pl.col(f"assisted_fen__{p}")).otherwise(0)
                    if p in current.payers
                    else pl.lit(0, dtype=pl.Int64)
                ).alias(f"payer_now__{p}")
                for p in payers
            ],
        )
    )


def load_base(
    uow: UnitOfWork,
    district: str,
    current: Policy,
    payers: list[str],
    *,
    include_unenrolled: bool,
    unenrolled_registered_at: datetime,
    progress: Progress,
) -> pl.DataFrame:
    """The base frame, :data:`BASE_SCHEMA` plus ``payer_now__<payer>`` for each of ``payers``, enrollees first
    (in enrollment order), then the unenrolled (by resident)."""
    year = current.insurance_year
    progress("读取本年度参保人员", 0, 3)
    enrolled = _enrolled(uow, district, year).with_columns(
        pl.lit(True).alias("enrolled"), pl.col("registered_at").dt.date().alias("identity_day")
    )
    parts = [enrolled]
    if include_unenrolled:
        progress("读取未参保登记人员", 1, 3)
        others = _unenrolled(uow, district, year).with_columns(
            pl.lit(False).alias("enrolled"),
            pl.lit(None, dtype=pl.String).alias("channel"),
            pl.lit(None, dtype=pl.String).alias("category"),
            pl.lit(None, dtype=pl.String).alias("tier"),
            pl.lit(None, dtype=pl.String).alias("state"),
            pl.lit(unenrolled_registered_at, dtype=SHANGHAI_DATETIME).alias("registered_at"),
            pl.lit(unenrolled_registered_at.date()).alias("identity_day"),
        )
        parts.append(others)
    progress("读取身份认定", 2, 3)
    people = _identities(uow, district, pl.concat(parts, how="diagonal_relaxed"))
    billed = pl.col("state").is_in([state.value for state in ASSESSED_ENROLLMENTS])
    stored = _decoded(
        people.filter(billed).with_columns(
            pl.lit(True).alias("billed"),
            pl.lit(True).alias("eligible_now"),
            pl.lit(None, pl.String).alias("reason_now"),
        ),
        current,
        payers,
    )
    waiting = people.filter(~billed.fill_null(False)).with_columns(pl.lit(False).alias("billed"))
    if waiting.height:
        waiting = _assessed_now(waiting, current, payers)
    schema: dict[str, Any] = {**BASE_SCHEMA, **{f"payer_now__{p}": pl.Int64() for p in payers}}
    frames = [frame.select(list(schema)) for frame in (stored, waiting) if frame.height]
    progress("读取身份认定", 3, 3)
    if not frames:
        return pl.DataFrame(schema=schema)
    amounts = [name for name in schema if name.endswith("_now") and schema[name] == pl.Int64()]
    return pl.concat(frames, how="vertical_relaxed").with_columns(pl.col(amounts).fill_null(0)).cast(pl.Schema(schema))
