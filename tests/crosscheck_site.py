"""A planted district (:mod:`yibao.synthetic.crosscheck_district`) stored in a test database: the system of record
written in bulk as the import paths write it, and each department's list imported through the service as the
CSV file a department would hand in."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time
from typing import cast

import polars as pl
from sqlalchemy import Engine, Table, select

from households import open_campaign_of, uow
from principals import admin
from yibao.adapters.db.bulk import bulk_insert
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.tables import (
    Area,
    Enrollment,
    IdentityFlag,
    NonEnrollmentReason,
    Payment,
    PaymentAllocation,
    Resident,
)
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.timeutil import SHANGHAI
from yibao.services.crosscheck.reference_lists import ReferenceRequest, import_reference_list
from yibao.services.registry.areas import seed_district
from yibao.synthetic.crosscheck_district import PlantedDistrict, planted_district

JIZHOU = "120119"
YEAR = 2018
AT = datetime(2017, 11, 20, 2, 0, tzinfo=UTC)


def jizhou_district(engine: Engine, people: int = 3000, planted: int = 6) -> PlantedDistrict:
    with uow(engine, "admin") as work:
        seed_district(work, JIZHOU)
        open_campaign_of(work, "tianjin-jizhou-2018")
        townships = sorted(
            work.session.scalars(select(Area.code).where(Area.level == "township", Area.code.startswith(JIZHOU))).all()
        )
    district = planted_district(people, townships, {}, year=YEAR, planted=planted)
    store_records(engine, district)
    return district


def store_records(engine: Engine, district: PlantedDistrict) -> None:
    tables = district.tables
    with engine.begin() as connection:
        residents = tables["residents"].with_columns(
            cert_type=pl.lit("01"),
            sex=pl.lit("male"),
            residency=pl.lit("local_hukou"),
            version=pl.lit(1),
        )
        bulk_insert(connection, cast(Table, Resident.__table__), residents)
        enrollments = tables["enrollments"].with_columns(
            insurance_type=pl.lit("390"),
            policy_id=pl.lit("tianjin-jizhou-2018"),
            policy_hash=pl.lit("0" * 64),
            channel=pl.lit("village"),
            rules=pl.lit("[]"),
            assumptions=pl.lit("[]"),
            assisted_by_payer_fen=pl.lit("{}"),
            registered_at=pl.lit(AT),
            assessed_at=pl.lit(AT),
        )
        bulk_insert(connection, cast(Table, Enrollment.__table__), enrollments)
        bulk_insert(connection, cast(Table, IdentityFlag.__table__), tables["identity_flags"])
        payments = tables["payments"].with_columns(
            kind=pl.lit("payment"),
            transaction_id=pl.format("T{}", pl.col("id")),
            amount_fen=pl.lit(22000, dtype=pl.Int64),
            insurance_year=pl.lit(YEAR),
            township_code=pl.lit(f"{JIZHOU}100000"),
            paid_at=pl.lit(AT),
            recorded_at=pl.lit(AT),
            actor=pl.lit("test"),
        )
        bulk_insert(connection, cast(Table, Payment.__table__), payments)
        allocations = tables["payment_allocations"].with_columns(at=pl.lit(AT), reason=pl.lit("payment"))
        bulk_insert(connection, cast(Table, PaymentAllocation.__table__), allocations)
        reasons = (
            tables["reasons"]
            .join(tables["residents"].select("id_number"), on="id_number", how="left")
            .select(
                "insurance_year",
                "id_number",
                name=pl.lit("某某"),
                district_code=pl.lit(JIZHOU),
                township_code=pl.lit(f"{JIZHOU}100000"),
                reason=pl.lit("employee_insurance"),
                actor=pl.lit("test"),
                at=pl.lit(AT),
            )
        )
        bulk_insert(connection, cast(Table, NonEnrollmentReason.__table__), reasons)
        if engine.dialect.name == "postgresql":  # rows were written with their ids: move the sequences on
            for table in ("residents", "enrollments", "payments"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )


def as_csv(rows: pl.DataFrame) -> bytes:
    """A department's file: the headers it writes, amounts in yuan, dates as 2018-01-20."""
    frame = rows.select(
        pl.col("id_number").alias("身份证号码"),
        pl.col("name").alias("姓名"),
        pl.col("township_code").alias("所属镇街"),
        pl.col("event_date").dt.strftime("%Y-%m-%d").alias("日期"),
        (pl.col("amount_fen") / 100).alias("缴费金额"),
        pl.col("detail").alias("参保地"),
        pl.col("insurance_type").alias("险种类型"),
    )
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return buffer.getvalue()


HEADERS = {"deaths": "死亡日期", "tax_payments": "缴费日期"}
DETAIL = {"students": "学校", "insured_elsewhere": "参保地"}


def import_lists(engine: Engine, district: PlantedDistrict, as_of: date = date(2018, 3, 1)) -> dict[str, int]:
    ids = {}
    for kind, rows in district.lists.items():
        content = as_csv(rows).replace("日期".encode(), HEADERS.get(kind, "备注日期").encode(), 1)
        content = content.replace("参保地".encode(), DETAIL.get(kind, "备注").encode(), 1)
        year = {"tax_payments": YEAR, "insured_elsewhere": YEAR, "last_year_enrollment": YEAR - 1}.get(kind)
        with UnitOfWork(session_factory(engine), actor="admin", now=datetime.combine(as_of, time(9), SHANGHAI)) as work:
            report = import_reference_list(
                work,
                admin(),
                ReferenceRequest(f"{kind}.csv", content, kind, as_of=as_of, insurance_year=year),
            )
        assert report.errors == 0, (kind, report.problems[:3])
        assert report.list_id is not None
        ids[kind] = report.list_id
    return ids
