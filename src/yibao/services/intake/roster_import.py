"""Roster import (电子名册导入): a village's, school's or institution's sheet checked whole, then written at once.

Phase one checks every row — the file itself (:mod:`yibao.domain.roster`), then against the database (the name
on record for the ID number, an enrollment this year in another township) and the plan (eligibility, by one
engine run over all rows) — and gives each row one outcome: ``created``, ``updated``, ``unchanged`` or ``error``.
Phase two writes every row that is not an error, in the caller's one transaction (:mod:`.roster_write`). A dry
run stops after phase one. Importing the same file again finds every written row enrolled as the file says, so
it changes nothing; a corrected error file adds only the rows that were wrong.
"""

from __future__ import annotations

import hashlib
from typing import Any

import polars as pl
from sqlalchemy import or_, select

from yibao.adapters.db.bulk import staged_keys
from yibao.adapters.db.tables import Area, Enrollment, Household, HouseholdMember, IdentityFlag, Resident
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain import idnumber
from yibao.domain.certification import CLAIM_SOURCES
from yibao.domain.engine.assess import assess
from yibao.domain.engine.reasons import reason_text
from yibao.domain.errors import YibaoError
from yibao.domain.policy import Policy
from yibao.domain.roster import (
    COLUMNS,
    ERRORS,
    ROW,
    RosterContext,
    check_roster,
    error_struct,
    tier_aliases,
    with_errors,
)
from yibao.domain.states import LIVE_ENROLLMENTS, REASSESSABLE_ENROLLMENTS, EnrollmentState
from yibao.domain.timeutil import as_shanghai
from yibao.domain.vocabulary import CATEGORIES, IDENTITIES
from yibao.services.access import Permission, Principal, Role, person_outside
from yibao.services.intake.roster_report import RosterReport, RosterRequest
from yibao.services.intake.roster_write import write_roster
from yibao.services.jobs import Progress, no_progress
from yibao.services.policy.plans import get_policy
from yibao.services.registry.household_checks import check_place
from yibao.services.sheets import RowProblem, read_table


def import_roster(
    uow: UnitOfWork, principal: Principal, request: RosterRequest, progress: Progress = no_progress
) -> RosterReport:
    principal.require(Permission.WRITE_RESIDENTS)
    policy = get_policy(request.policy_id, uow.session)
    check_place(uow, principal, policy, request.township_code, request.channel, None, request.organization_id)
    progress("读取名册", 0, 1)
    sheet, mapping = read_table(request.content, request.file_name, COLUMNS)
    progress("读取名册", 1, 1)
    progress("检查", 0, sheet.rows)
    township = uow.session.get_one(Area, request.township_code)
    context = _context(uow, policy, township)
    frame = sheet.frame.select(ROW, *[pl.col(header).alias(key) for header, key in mapping.items()])
    checked = _against_database(uow, principal, policy, township, check_roster(frame, context))
    progress("检查", sheet.rows, sheet.rows)
    progress("核定", 0, 1)
    rows = _classify_and_assess(uow, policy, request, checked)
    progress("核定", 1, 1)
    counts = rows.get_column("outcome").value_counts()
    outcome = dict(zip(counts.get_column("outcome").to_list(), counts.get_column("count").to_list(), strict=True))
    problems = _problems(rows.filter(pl.col("outcome") == "error"), mapping, policy, township, context)
    codes = rows.select(pl.col(ERRORS).list.eval(pl.element().struct.field("code")).list.unique()).explode(ERRORS)
    error_counts = dict(codes.drop_nulls().group_by(ERRORS).len().iter_rows())
    report = RosterReport(
        import_id=None,
        file_name=request.file_name,
        dry_run=request.dry_run,
        rows=sheet.rows,
        created=outcome.get("created", 0),
        updated=outcome.get("updated", 0),
        unchanged=outcome.get("unchanged", 0),
        errors=outcome.get("error", 0),
        error_counts=dict(sorted(error_counts.items())),
        problems=problems,
        sheet=sheet,
        mapping=mapping,
    )
    if request.dry_run:
        uow.session.rollback()
        # A check is audited as an import is: who asked about which ID numbers is itself worth knowing.
        summary = {"township_code": request.township_code, "rows": report.rows, "errors": report.errors}
        uow.audit("check", "roster", request.file_name[:64], None, summary)
        uow.commit()
        return report
    digest = hashlib.sha256(request.content).hexdigest()
    report.import_id = write_roster(uow, policy, request, rows, report, digest, progress)
    progress("提交", 0, 1)
    uow.commit()
    progress("提交", 1, 1)
    return report


def _context(uow: UnitOfWork, policy: Policy, township: Area) -> RosterContext:
    villages: dict[str, str] = {}
    for code, name in uow.session.execute(select(Area.code, Area.name).where(Area.parent_code == township.code)):
        villages[code] = code
        villages.setdefault(name, code)
    households = uow.session.scalars(
        select(Household.number).where(Household.township_code == township.code, Household.number.is_not(None))
    )
    return RosterContext(
        on=as_shanghai(uow.now).date(),
        township_code=township.code,
        township_name=township.name,
        villages=villages,
        tiers=tier_aliases({key: tier.name for key, tier in policy.tiers.items()}),
        existing_households=frozenset(number for number in households if number),
    )


def _against_database(
    uow: UnitOfWork, principal: Principal, policy: Policy, township: Area, checked: pl.DataFrame
) -> pl.DataFrame:
    """Join what the database knows of each ID number, and add the errors only it can tell — in words that tell
    nothing of a person registered outside the principal's area, whose record the import never touches (a dry
    run would otherwise be an oracle of other townships' names)."""
    connection = uow.session.connection()
    with staged_keys(connection, checked.get_column("id_number")) as staged:
        known_rows = connection.execute(
            select(
                Resident.id,
                Resident.id_number,
                Resident.name,
                Resident.phone,
                Resident.address,
                Resident.village_code,
                HouseholdMember.household_id,
                Household.number,
                Resident.township_code,
                Resident.residency,
            )
            .join(staged, staged.c.key == Resident.id_number)
            .outerjoin(HouseholdMember, HouseholdMember.resident_id == Resident.id)
            .outerjoin(Household, Household.id == HouseholdMember.household_id)
        ).all()
        enrolled_rows = connection.execute(
            select(
                Enrollment.resident_id,
                Enrollment.id,
                Enrollment.township_code,
                Area.name,
                Enrollment.state,
                Enrollment.category,
                Enrollment.tier,
            )
            .join(Resident, Resident.id == Enrollment.resident_id)
            .join(staged, staged.c.key == Resident.id_number)
            .join(Area, Area.code == Enrollment.township_code)
            .where(Enrollment.insurance_year == policy.insurance_year, Enrollment.state.in_(LIVE_ENROLLMENTS))
        ).all()
        on = as_shanghai(uow.now).date()
        flag_rows = connection.execute(
            select(IdentityFlag.resident_id, IdentityFlag.identity, IdentityFlag.source)
            .join(Resident, Resident.id == IdentityFlag.resident_id)
            .join(staged, staged.c.key == Resident.id_number)
            .where(
                or_(IdentityFlag.valid_from.is_(None), IdentityFlag.valid_from <= on),
                or_(IdentityFlag.valid_to.is_(None), IdentityFlag.valid_to >= on),
            )
        ).all()
    known = pl.DataFrame(
        known_rows,
        schema={
            "resident_id": pl.Int64,
            "id_number": pl.String,
            "known_name": pl.String,
            "known_phone": pl.String,
            "known_address": pl.String,
            "known_village": pl.String,
            "known_household": pl.Int64,
            "known_household_number": pl.String,
            "known_township": pl.String,
            "known_residency": pl.String,
        },
        orient="row",
    )
    enrolled = pl.DataFrame(
        enrolled_rows,
        schema={
            "resident_id": pl.Int64,
            "enrollment_id": pl.Int64,
            "enrolled_township": pl.String,
            "enrolled_township_name": pl.String,
            "enrolled_state": pl.String,
            "enrolled_category": pl.String,
            "enrolled_tier": pl.String,
        },
        orient="row",
    )
    flag_frame = (
        pl.DataFrame(
            flag_rows, schema={"resident_id": pl.Int64, "identity": pl.String, "source": pl.String}, orient="row"
        )
        .group_by("resident_id")
        .agg(
            pl.col("identity").unique().sort().alias("known_identities"),
            pl.col("identity")
            .filter(~pl.col("source").is_in(CLAIM_SOURCES))
            .unique()
            .sort()
            .alias("certified_identities"),
        )
    )
    joined = (
        checked.join(known, on="id_number", how="left")
        .join(enrolled, on="resident_id", how="left")
        .join(flag_frame, on="resident_id", how="left")
        .with_columns(
            pl.col("known_identities", "certified_identities").fill_null(pl.lit([], dtype=pl.List(pl.String)))
        )
    )
    name_differs = (
        pl.col("known_name").is_not_null() & pl.col("name").is_not_null() & (pl.col("known_name") != pl.col("name"))
    )
    elsewhere = pl.col("enrolled_township").is_not_null() & (pl.col("enrolled_township") != township.code)
    # The area rule, decided once per township the file's known people are registered in (a handful).
    townships = known.get_column("known_township").unique().drop_nulls().to_list()
    outside = pl.col("known_township").is_in([code for code in townships if person_outside(principal, code)])
    inside = ~outside
    transferred_first = outside & ~elsewhere & ~name_differs & pl.lit(principal.role is not Role.INSTITUTION)
    database_errors = [
        pl.when(inside & name_differs).then(error_struct("RESIDENT_NAME_MISMATCH", "name", pl.col("known_name"))),
        pl.when(inside & elsewhere).then(
            error_struct("ALREADY_ENROLLED", "id_number", pl.col("enrolled_township_name"))
        ),
        pl.when(outside & elsewhere).then(error_struct("ENROLLED_ELSEWHERE", "id_number", pl.col("id_number"))),
        pl.when(outside & ~elsewhere & name_differs).then(
            error_struct("RESIDENT_NAME_DIFFERS", "name", pl.col("name"))
        ),
        pl.when(transferred_first).then(error_struct("RESIDENT_ELSEWHERE", "id_number", pl.col("id_number"))),
        # A member of one household listed under another: moving people between households is not a roster's
        # work, and keeping them where they are without a word would hide the clerk's mistake.
        pl.when(
            inside
            & pl.col("household_number").is_not_null()
            & pl.col("known_household_number").is_not_null()
            & (pl.col("household_number") != pl.col("known_household_number"))
        ).then(error_struct("HOUSEHOLD_DIFFERS", "household_number", pl.col("known_household_number"))),
    ]
    return with_errors(joined.lazy(), database_errors).collect()


def _differs(given: str, known: str) -> pl.Expr:
    return pl.col(given).is_not_null() & (pl.col(known).is_null() | (pl.col(given) != pl.col(known)))


def _classify_and_assess(
    uow: UnitOfWork, policy: Policy, request: RosterRequest, checked: pl.DataFrame
) -> pl.DataFrame:
    """Each row's outcome; the rows to enroll or re-assess go through the engine together."""
    new_identities = pl.col("identities").list.set_difference(pl.col("known_identities")).list.len() > 0
    enrollment_changes = _differs("category", "enrolled_category") | _differs("tier", "enrolled_tier") | new_identities
    contact_changes = _differs("phone", "known_phone") | _differs("address", "known_address")
    contact_changes = contact_changes | _differs("village_code", "known_village")
    joins_household = pl.col("household_number").is_not_null() & pl.col("known_household").is_null()
    fixed = (
        pl.col("enrollment_id").is_not_null()
        & enrollment_changes
        & ~pl.col("enrolled_state").is_in(REASSESSABLE_ENROLLMENTS)
    )
    fixed_error = pl.when(fixed).then(error_struct("ENROLLMENT_FIXED", "tier", pl.col("enrolled_state")))
    rows = (
        with_errors(checked.lazy(), [fixed_error])
        .collect()
        .with_columns(
            outcome=pl.when(pl.col(ERRORS).list.len() > 0)
            .then(pl.lit("error"))
            .when(pl.col("enrollment_id").is_null())
            .then(pl.lit("created"))
            .when(enrollment_changes | contact_changes | joins_household)
            .then(pl.lit("updated"))
            .otherwise(pl.lit("unchanged")),
            reassess=pl.col("enrollment_id").is_not_null() & enrollment_changes,
            contact_changed=contact_changes,  # the writer updates these residents' phone, address and village
        )
    )
    to_assess = rows.filter((pl.col("outcome") == "created") | ((pl.col("outcome") == "updated") & pl.col("reassess")))
    if to_assess.is_empty():
        return rows.with_columns(pl.lit(None, dtype=pl.Struct({})).alias("result"))
    registered_at = as_shanghai(uow.now)
    engine_input = to_assess.select(
        ROW,
        "id_number",
        pl.lit(registered_at).alias("registered_at"),
        pl.coalesce("category", "enrolled_category").alias("category"),
        pl.coalesce("tier", "enrolled_tier").alias("tier"),
        # The roster's 特殊身份 column only claims: counted as the plan says a claim counts until a list decides.
        (
            pl.concat_list("identities", "known_identities")
            if policy.assisted.claims_subsidised
            else pl.col("certified_identities")
        )
        .list.unique()
        .list.sort()
        .alias("identities"),
        pl.lit(request.channel).alias("channel"),
        # A roster has no 户籍类别 column: a known person's is on record (only the area's own people get this far),
        # a new one is taken as local hukou, as the writer records them.
        pl.col("known_residency").alias("residency"),
    )
    assessed = assess(policy, engine_input.drop(ROW)).with_columns(engine_input.get_column(ROW))
    result = assessed.select(ROW, pl.struct(pl.exclude(ROW)).alias("result"))
    not_eligible = pl.col("result").struct.field("eligible").not_().fill_null(False)
    rows = rows.join(result, on=ROW, how="left")
    not_eligible_error = pl.when(not_eligible).then(
        error_struct("NOT_ELIGIBLE", "id_number", pl.col("result").struct.field("reason"))
    )
    return (
        with_errors(rows.lazy(), [not_eligible_error])
        .with_columns(outcome=pl.when(not_eligible).then(pl.lit("error")).otherwise(pl.col("outcome")))
        .collect()
    )


def _problems(
    errors: pl.DataFrame, mapping: dict[str, str], policy: Policy, township: Area, context: RosterContext
) -> list[RowProblem]:
    """Messages for the rows in error only (a few per cent of a file), in the clerk's words."""
    header_of = {key: header for header, key in mapping.items()}
    problems = []
    for row in errors.select(ROW, ERRORS, "name", "household_number", "id_number", "enrolled_state").iter_rows(
        named=True
    ):
        for found in row[ERRORS]:
            error = _as_error(found, row, policy, township, context)
            column = found["column"]
            problems.append(
                RowProblem(row[ROW], error.code, column, header_of.get(column), error.message, error.message_en)
            )
    return problems


def _as_error(
    found: dict[str, Any], row: dict[str, Any], policy: Policy, township: Area, context: RosterContext
) -> YibaoError:
    code, value = found["code"], found["value"]
    field_name, number = found["column"], row["id_number"]
    if code.startswith("ID_NUMBER_"):
        try:
            idnumber.parse(value or "", on=context.on, from_sheet=True)
        except YibaoError as error:
            return error
    params: dict[str, Any] = {"value": value}
    if code == "DUPLICATE_IN_FILE":
        params = {"first": value}
    elif code in ("TOWNSHIP_MISMATCH", "VILLAGE_NOT_FOUND"):
        params["township"] = township.name
    elif code == "CATEGORY_UNKNOWN":
        params["allowed"] = "、".join(CATEGORIES.values())
    elif code == "TIER_UNKNOWN":
        params |= {"policy": policy.name, "allowed": "、".join(tier.name for tier in policy.tiers.values())}
    elif code == "IDENTITY_UNKNOWN":
        params["allowed"] = "、".join(IDENTITIES.values())
    elif code == "HOUSEHOLD_HEADS":
        params = {"household": row["household_number"], "count": value}
    elif code == "HOUSEHOLD_NO_HEAD":
        params = {"household": value}
    elif code == "HOUSEHOLD_DIFFERS":
        params = {"registered": value, "given": row["household_number"]}
    elif code in ("RESIDENT_ELSEWHERE", "ENROLLED_ELSEWHERE"):
        params = {"number": idnumber.mask(number)}
    elif code == "RESIDENT_NAME_DIFFERS":
        params = {"number": idnumber.mask(number), "given": row["name"]}
    elif code == "RESIDENT_NAME_MISMATCH":
        params = {"number": idnumber.mask(number), "registered": value, "given": row["name"]}
    elif code == "ALREADY_ENROLLED":
        state = EnrollmentState(row["enrolled_state"]).zh
        params = {"number": idnumber.mask(number), "township": value, "year": policy.insurance_year, "state": state}
    elif code == "ENROLLMENT_FIXED":
        state = EnrollmentState(value)
        zh, en = state.zh, state.code
        params = {"year": policy.insurance_year, "state": zh, "state_en": en}
    elif code == "NOT_ELIGIBLE":
        zh, en = reason_text(value)
        params = {"name": row["name"], "reason": zh, "reason_en": en}
    return YibaoError(code, field=field_name, row=row[ROW], **params)
