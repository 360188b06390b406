"""Run the cross-checks (信息比对) of an insurance year and keep their findings as worklists.

A run takes each source's latest list of each kind, brings the snapshot up to date when the engine reads one,
evaluates every rule whose lists are there (:mod:`yibao.domain.crosscheck.rules`) on the chosen engine, and merges
what it found into the ``findings`` table: a finding found again keeps the follow-up village staff recorded; a
new one opens; one no longer found is cleared (kept, with its follow-up, but off the worklist).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

import polars as pl
from sqlalchemy import Engine, Table, select
from sqlalchemy.orm import Session

from yibao.adapters import crosscheck_engines, snapshot
from yibao.adapters.db.bulk import bulk_insert, bulk_update
from yibao.adapters.db.tables import CrosscheckRun, Finding, ReferenceList
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.crosscheck.inputs import Params
from yibao.domain.crosscheck.reference_list import REFERENCE_KINDS
from yibao.domain.crosscheck.rules import RULES, findings, runnable
from yibao.domain.errors import YibaoError
from yibao.domain.policy.model import Policy
from yibao.domain.states import FindingStatus
from yibao.domain.timeutil import as_shanghai
from yibao.services.access import Permission, Principal
from yibao.services.jobs import Progress, no_progress
from yibao.services.policy.campaigns import campaign_policy
from yibao.services.policy.plans import district_policies

KEY = ["kind", "id_number", "township_code"]
EVIDENCE = ["code", "name", "resident_id", "village_code", "list_id", "evidence_date", "amount_fen", "detail"]


@dataclass(frozen=True)
class CrosscheckRequest:
    insurance_year: int | None = None  # default: the campaign under way
    engine: str | None = None  # default: YIBAO_CROSSCHECK_ENGINE, else duckdb


@dataclass(frozen=True)
class RunReport:
    run_id: int
    insurance_year: int
    engine: str
    lists: list[dict[str, Any]]  # the lists compared: id, kind, source, as_of
    counts: dict[str, int]  # kind -> current findings
    skipped: list[str]  # kinds not checked for want of a list
    new_findings: int
    cleared_findings: int
    seconds: float
    snapshot_written: list[str]


def policy_for_year(session: Session, district: str, today: date, insurance_year: int | None) -> Policy:
    if insurance_year is None:
        return campaign_policy(district, today, session)
    for policy in district_policies(district, session):
        if policy.insurance_year == insurance_year:
            return policy
    raise YibaoError("POLICY_NONE_FOR_DISTRICT", field="insurance_year", district=district)


def params_for(policy: Policy, as_of: date, available: frozenset[str]) -> Params:
    """What the plan says that the rules need: the identities it subsidises, the tier a subsidy is bound to,
    the subsidies by age alone."""
    groups = policy.assisted.groups
    identities = sorted({identity for group in groups for identity in group.identities})
    bound = {
        identity: group.basis_tier.tier
        for group in groups
        if group.lost_above_basis_tier is not None and group.basis_tier is not None
        for identity in group.identities
    }
    ages = tuple((group.age.min, group.age.max) for group in groups if not group.identities and group.age is not None)
    return Params(
        year=policy.insurance_year,
        as_of=as_of,
        subsidised_identities=tuple(identities),
        identity_tiers=bound,
        age_only_ranges=ages,
        available=available,
    )


def current_lists(uow: UnitOfWork, district: str, year: int) -> list[ReferenceList]:
    """Each source's latest list of each kind (by its as-of date, then the latest imported), among the lists
    about this year where the kind is about one year."""
    lists = uow.session.scalars(
        select(ReferenceList)
        .where(ReferenceList.district_code == district)
        .order_by(ReferenceList.as_of.desc(), ReferenceList.id.desc())
    ).all()
    chosen: dict[tuple[str, str], ReferenceList] = {}
    for item in lists:
        offset = REFERENCE_KINDS[item.kind].year_offset
        if offset is not None and item.insurance_year != year + offset:
            continue
        chosen.setdefault((item.kind, item.source), item)
    return sorted(chosen.values(), key=lambda item: item.id)


def run_crosscheck(
    uow: UnitOfWork,
    principal: Principal,
    request: CrosscheckRequest,
    *,
    data_directory: Path,
    progress: Progress = no_progress,
) -> RunReport:
    principal.require(Permission.RUN_CROSSCHECKS)
    engine_name = crosscheck_engines.check_engine(request.engine or crosscheck_engines.configured_engine())
    today = as_shanghai(uow.now).date()
    policy = policy_for_year(uow.session, principal.district, today, request.insurance_year)
    lists = current_lists(uow, principal.district, policy.insurance_year)
    list_ids = [item.id for item in lists]
    params = params_for(policy, today, frozenset(item.kind for item in lists))
    rules = runnable(params)
    started = time.monotonic()
    database = cast(Engine, uow.session.get_bind())
    taken = None
    if crosscheck_engines.needs_snapshot(engine_name):
        directory = crosscheck_engines.snapshot_directory(data_directory, database)
        taken = snapshot.refresh(uow.session.connection(), directory, principal.district, list_ids, progress)
    progress("比对", 0, 1)
    with crosscheck_engines.connect(
        engine_name, database=database, snapshot=taken, district=principal.district, list_ids=list_ids
    ) as tables:
        found = crosscheck_engines.execute(findings(tables, params, rules))
    progress("比对", 1, 1)
    # One finding per (kind, person, township): where a rule finds a person twice (enrolled twice here and on the
    # platform's list), the first by sub-code is kept, the same on every engine.
    found = (
        found.with_columns(pl.col("township_code").fill_null(""))
        .sort([*KEY, "code"], nulls_last=True)
        .unique(KEY, keep="first", maintain_order=True)
    )
    run = CrosscheckRun(
        insurance_year=policy.insurance_year,
        district_code=principal.district,
        policy_id=policy.id,
        engine=engine_name,
        list_ids=list_ids,
        counts={rule.kind: 0 for rule in rules} | dict(found.group_by("kind").len().sort("kind").iter_rows()),
        new_findings=0,
        cleared_findings=0,
        seconds=0.0,
        actor=uow.actor,
        at=uow.now,
    )
    uow.session.add(run)
    uow.session.flush()
    progress("更新工作清单", 0, 1)
    run.new_findings, run.cleared_findings = _merge(uow, run, found, [rule.kind for rule in rules])
    run.seconds = round(time.monotonic() - started, 3)
    uow.audit(
        "run",
        "crosscheck",
        run.id,
        None,
        {"engine": engine_name, "year": policy.insurance_year, "lists": list_ids, "counts": run.counts},
    )
    uow.commit()
    progress("更新工作清单", 1, 1)
    return RunReport(
        run_id=run.id,
        insurance_year=policy.insurance_year,
        engine=engine_name,
        lists=[{"id": i.id, "kind": i.kind, "source": i.source, "as_of": i.as_of.isoformat()} for i in lists],
        counts=run.counts,
        skipped=[rule.kind for rule in RULES if rule.kind not in run.counts],
        new_findings=run.new_findings,
        cleared_findings=run.cleared_findings,
        seconds=run.seconds,
        snapshot_written=list(taken.written) if taken else [],
    )


def _merge(uow: UnitOfWork, run: CrosscheckRun, found: pl.DataFrame, kinds: Sequence[str]) -> tuple[int, int]:
    """New findings open; those found again take the new evidence and keep their follow-up; those of the kinds
    checked that were not found again are cleared. Returns (new, cleared)."""
    connection = uow.session.connection()
    table = cast(Table, Finding.__table__)
    existing = pl.DataFrame(
        connection.execute(
            select(Finding.id, Finding.kind, Finding.id_number, Finding.township_code, Finding.current).where(
                Finding.insurance_year == run.insurance_year,
                Finding.district_code == run.district_code,
                Finding.kind.in_(kinds),
            )
        ).all(),
        schema={"id": pl.Int64, "kind": pl.String, "id_number": pl.String, "township_code": pl.String, "current": bool},
        orient="row",
    )
    matched = found.join(existing, on=KEY, how="left")
    again = matched.filter(pl.col("id").is_not_null())
    if again.height:
        bulk_update(
            connection,
            table,
            again.select("id", *EVIDENCE, last_run_id=pl.lit(run.id), current=pl.lit(True)),
        )
    new = matched.filter(pl.col("id").is_null())
    if new.height:
        bulk_insert(
            connection,
            table,
            new.select(
                pl.lit(run.insurance_year).alias("insurance_year"),
                pl.lit(run.district_code).alias("district_code"),
                *KEY,
                *EVIDENCE,
                pl.lit(FindingStatus.OPEN.code).alias("status"),
                pl.lit(run.id).alias("first_run_id"),
                pl.lit(run.id).alias("last_run_id"),
                pl.lit(True).alias("current"),
            ),
        )
    gone = existing.join(found.select(KEY), on=KEY, how="anti").filter(pl.col("current"))
    if gone.height:
        bulk_update(connection, table, gone.select("id", current=pl.lit(False)))
    return new.height, gone.height


@dataclass(frozen=True)
class ListView:
    id: int
    kind: str
    kind_name: str
    source: str
    as_of: date
    insurance_year: int | None
    file_name: str
    rows: int
    stored: int
    errors: int
    actor: str
    at: datetime
    current: bool  # among the lists the next run compares


@dataclass(frozen=True)
class RunView:
    id: int
    insurance_year: int
    engine: str
    counts: dict[str, int]
    new_findings: int
    cleared_findings: int
    seconds: float
    actor: str
    at: datetime


def reference_lists(uow: UnitOfWork, principal: Principal, insurance_year: int) -> list[ListView]:
    """The district's lists, newest first, marking those the next run of ``insurance_year`` compares."""
    principal.require(Permission.READ_RESIDENTS)
    current = {item.id for item in current_lists(uow, principal.district, insurance_year)}
    lists = uow.session.scalars(
        select(ReferenceList)
        .where(ReferenceList.district_code == principal.district)
        .order_by(ReferenceList.id.desc())
        .limit(200)
    ).all()
    return [
        ListView(
            id=item.id,
            kind=item.kind,
            kind_name=REFERENCE_KINDS[item.kind].name,
            source=item.source,
            as_of=item.as_of,
            insurance_year=item.insurance_year,
            file_name=item.file_name,
            rows=item.rows,
            stored=item.stored,
            errors=item.errors,
            actor=item.actor,
            at=item.at,
            current=item.id in current,
        )
        for item in lists
    ]


def recent_runs(uow: UnitOfWork, principal: Principal, insurance_year: int, limit: int = 10) -> list[RunView]:
    principal.require(Permission.READ_RESIDENTS)
    runs = uow.session.scalars(
        select(CrosscheckRun)
        .where(CrosscheckRun.district_code == principal.district, CrosscheckRun.insurance_year == insurance_year)
        .order_by(CrosscheckRun.id.desc())
        .limit(limit)
    ).all()
    return [
        RunView(
            id=run.id,
            insurance_year=run.insurance_year,
            engine=run.engine,
            counts=run.counts,
            new_findings=run.new_findings,
            cleared_findings=run.cleared_findings,
            seconds=run.seconds,
            actor=run.actor,
            at=run.at,
        )
        for run in runs
    ]
