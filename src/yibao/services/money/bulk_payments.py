"""Payments on notices by the hundred thousand (a statement's lines), by the rules of
:func:`~yibao.services.money.payments.record_payment`, set-wise: one query per table to read, the engine once per
policy, bulk loads to write.

* Each notice's payable people are assessed at the payment moment (a notice paid in several lines of one
  statement: at its first line's moment); a line whose moment the plan refuses for anyone is ``refused``.
* Money goes to people in the notice's order, each up to what they still owe, as intervals: line *k* covers
  the money from C(k-1) to C(k) of the notice's lines, member *i* owes from D(i-1) to D(i), and the allocation
  is their overlap — several lines and several people of one notice, in one join.
* A person fully paid is ``effective`` with the cover the plan gives for that moment; any excess of a line pays
  for nobody and awaits a refund.
"""

from __future__ import annotations

from datetime import UTC
from typing import cast

import polars as pl
from sqlalchemy import Connection, Table, func, select

from yibao.adapters.db.arrow_read import read_here
from yibao.adapters.db.bulk import bulk_insert, bulk_update, reserve_ids, staged_keys
from yibao.adapters.db.tables import (
    Enrollment,
    IdentityFlag,
    Payment,
    PaymentAllocation,
    PaymentNotice,
    PaymentNoticeItem,
    Resident,
)
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.engine.assess import assess
from yibao.domain.engine.inputs import SHANGHAI_DATETIME
from yibao.domain.states import PAYABLE_ENROLLMENTS, AllocationReason, EnrollmentState, PaymentKind, StatementLineState
from yibao.services.audit_batch import AuditBatch
from yibao.services.policy.plans import get_policy
from yibao.services.registry.assessment import frozen_columns

PEOPLE_SCHEMA = pl.Schema(
    {
        "notice_id": pl.Int64(),
        "notice_number": pl.String(),
        "notice_township": pl.String(),
        "notice_year": pl.Int64(),
        "position": pl.Int64(),
        "enrollment_id": pl.Int64(),
        "state": pl.String(),
        "individual_due_fen": pl.Int64(),
        "policy_id": pl.String(),
        "category": pl.String(),
        "tier": pl.String(),
        "channel": pl.String(),
        "registered_at": pl.Datetime("us", "Asia/Shanghai"),
        "resident_id": pl.Int64(),
        "id_number": pl.String(),
    }
)


def _table(model: type) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def pay_notice_lines(uow: UnitOfWork, channel: str, lines: pl.DataFrame, audit: AuditBatch) -> pl.DataFrame:
    """``lines``: key, notice_number, transaction_id, amount_fen, paid_at (Shanghai), payer_name — every notice
    live and visible (the caller checked). Returns key, state (``matched`` | ``refused``), payment_id, reason."""
    if lines.is_empty():
        return pl.DataFrame(schema={"key": pl.Int64, "state": pl.String, "payment_id": pl.Int64, "reason": pl.String})
    connection = uow.session.connection()
    people, paid, identities = _read(connection, lines["notice_number"])
    first_moment = lines.group_by("notice_number").agg(pl.col("paid_at").min().alias("moment"))
    payable = (
        people.filter(pl.col("state").is_in(PAYABLE_ENROLLMENTS))
        .join(first_moment, on="notice_number")
        .join(identities, on="resident_id", how="left")
        .with_columns(pl.col("identities").fill_null(pl.lit([], dtype=pl.List(pl.String))))
    )
    assessed = _assess_at_moments(uow, payable)
    refused_notices = assessed.filter(~pl.col("eligible")).group_by("notice_number").agg(pl.col("reason").first())
    lines = lines.join(refused_notices, on="notice_number", how="left")
    taking = lines.filter(pl.col("reason").is_null())
    assessed = assessed.join(taking.select("notice_number").unique(), on="notice_number")
    _take_new_figures(connection, uow, assessed, audit)
    owed = (
        people.join(assessed.select("enrollment_id", "due", "benefit_start", "benefit_end"), on="enrollment_id")
        .join(paid, on="enrollment_id", how="left")
        .with_columns(pl.col("paid").fill_null(0))
        .with_columns(remaining=(pl.col("due") - pl.col("paid")).clip(lower_bound=0))
        .sort("notice_id", "position")
        .with_columns(owed_to=pl.col("remaining").cum_sum().over("notice_id"))
        .with_columns(owed_from=pl.col("owed_to") - pl.col("remaining"))
    )
    payments = _payment_rows(connection, uow, channel, taking, people)
    allocations = (
        payments.select("payment_id", "notice_id", "money_from", "money_to")
        .join(owed.select("notice_id", "enrollment_id", "owed_from", "owed_to"), on="notice_id")
        .with_columns(
            amount_fen=(pl.min_horizontal("money_to", "owed_to") - pl.max_horizontal("money_from", "owed_from")).clip(
                lower_bound=0
            )
        )
        .filter(pl.col("amount_fen") > 0)
    )
    bulk_insert(connection, _table(Payment), payments.drop("key", "payment_id", "money_from", "money_to"))
    bulk_insert(
        connection,
        _table(PaymentAllocation),
        allocations.select(
            "payment_id",
            "enrollment_id",
            "amount_fen",
            pl.lit(uow.now.astimezone(UTC)).alias("at"),
            pl.lit(AllocationReason.PAYMENT.code).alias("reason"),
        ),
    )
    completed = payments.group_by("notice_id").agg(pl.col("paid_at").max().alias("effective_at"))
    covered = (
        owed.join(
            allocations.group_by("enrollment_id").agg(pl.col("amount_fen").sum().alias("new")), on="enrollment_id"
        )
        .filter(pl.col("paid") + pl.col("new") >= pl.col("due"))
        .join(completed, on="notice_id")
        .select(
            pl.col("enrollment_id").alias("id"),
            pl.lit(EnrollmentState.EFFECTIVE.code).alias("state"),
            "benefit_start",
            "benefit_end",
            "effective_at",  # the notice's last line in the statement: when its money was complete
        )
    )
    bulk_update(connection, _table(Enrollment), covered)
    _audit(audit, payments, covered)
    return pl.concat(
        [
            payments.select(
                "key",
                pl.lit(StatementLineState.MATCHED.code).alias("state"),
                "payment_id",
                pl.lit(None, pl.String).alias("reason"),
            ),
            lines.filter(pl.col("reason").is_not_null()).select(
                "key",
                pl.lit(StatementLineState.REFUSED.code).alias("state"),
                pl.lit(None, pl.Int64).alias("payment_id"),
                "reason",
            ),
        ]
    )


def _read(connection: Connection, numbers: pl.Series) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The notices' people (locked: no one else applies money to them meanwhile), what each has paid, and the
    identities certified on their registration day."""
    with staged_keys(connection, numbers) as staged:
        people = read_here(
            connection,
            select(
                PaymentNotice.id,
                PaymentNotice.number,
                PaymentNotice.township_code,
                PaymentNotice.insurance_year,
                PaymentNoticeItem.position,
                Enrollment.id,
                Enrollment.state,
                Enrollment.individual_due_fen,
                Enrollment.policy_id,
                Enrollment.category,
                Enrollment.tier,
                Enrollment.channel,
                Enrollment.registered_at,
                Resident.id,
                Resident.id_number,
            )
            .join(PaymentNotice, PaymentNotice.id == PaymentNoticeItem.notice_id)
            .join(staged, staged.c.key == PaymentNotice.number)
            .join(Enrollment, Enrollment.id == PaymentNoticeItem.enrollment_id)
            .join(Resident, Resident.id == Enrollment.resident_id)
            .with_for_update(of=Enrollment),
            PEOPLE_SCHEMA,
        )
        paid = read_here(
            connection,
            select(PaymentAllocation.enrollment_id, func.sum(PaymentAllocation.amount_fen))
            .join(PaymentNoticeItem, PaymentNoticeItem.enrollment_id == PaymentAllocation.enrollment_id)
            .join(PaymentNotice, PaymentNotice.id == PaymentNoticeItem.notice_id)
            .join(staged, staged.c.key == PaymentNotice.number)
            .group_by(PaymentAllocation.enrollment_id),
            {"enrollment_id": pl.Int64, "paid": pl.Int64},
        ).unique("enrollment_id")
        flags = read_here(
            connection,
            select(IdentityFlag.resident_id, IdentityFlag.identity, IdentityFlag.valid_from, IdentityFlag.valid_to)
            .join(Enrollment, Enrollment.resident_id == IdentityFlag.resident_id)
            .join(PaymentNoticeItem, PaymentNoticeItem.enrollment_id == Enrollment.id)
            .join(PaymentNotice, PaymentNotice.id == PaymentNoticeItem.notice_id)
            .join(staged, staged.c.key == PaymentNotice.number),
            {"resident_id": pl.Int64, "identity": pl.String, "valid_from": pl.Date, "valid_to": pl.Date},
        ).unique()
    registered = people.select("resident_id", pl.col("registered_at").dt.date().alias("on")).unique("resident_id")
    identities = (
        flags.join(registered, on="resident_id")
        .filter(
            (pl.col("valid_from").is_null() | (pl.col("valid_from") <= pl.col("on")))
            & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= pl.col("on")))
        )
        .group_by("resident_id")
        .agg(pl.col("identity").unique().sort().alias("identities"))
    )
    return people, paid, identities


def _assess_at_moments(uow: UnitOfWork, payable: pl.DataFrame) -> pl.DataFrame:
    """Each payable person assessed at their notice's payment moment: eligible (or the reason), the new figures
    (frozen as the notice's were), the amount due and the cover."""
    results = []
    for (policy_id,), group in payable.partition_by("policy_id", as_dict=True).items():
        policy = get_policy(str(policy_id), uow.session)
        frame = group.select(
            "id_number",
            "registered_at",
            pl.col("moment").cast(SHANGHAI_DATETIME).alias("paid_at"),
            "category",
            "tier",
            "identities",
            "channel",
        )
        result = assess(policy, frame)
        frozen = frozen_columns(policy, result)
        results.append(
            pl.concat(
                [
                    group.select("enrollment_id", "notice_number", "individual_due_fen"),
                    result.select("eligible", "reason"),
                    frozen.rename({"individual_due_fen": "due"}),
                ],
                how="horizontal",
            )
        )
    if not results:
        return pl.DataFrame(
            schema={
                "enrollment_id": pl.Int64,
                "notice_number": pl.String,
                "individual_due_fen": pl.Int64,
                "eligible": pl.Boolean,
                "reason": pl.String,
                "due": pl.Int64,
                "benefit_start": pl.Date,
                "benefit_end": pl.Date,
            }
        )
    return pl.concat(results, how="diagonal_relaxed")


def _take_new_figures(connection: Connection, uow: UnitOfWork, assessed: pl.DataFrame, audit: AuditBatch) -> None:
    """Where the payment moment changes what is owed (a late payer's full cost), the new figures replace the
    notice's, as :func:`~yibao.services.money.settlement.take_payment_moment` does one at a time."""
    changed = assessed.filter(pl.col("due") != pl.col("individual_due_fen"))
    if changed.is_empty():
        return
    columns = [
        "policy_id",
        "policy_hash",
        "category",
        "tier",
        "benefit_tier",
        "financing_total_fen",
        "government_subsidy_fen",
        "assisted_subsidy_fen",
        "assisted_by_payer_fen",
        "benefit_start",
        "benefit_end",
        "rules",
        "assumptions",
    ]
    # The JSON columns come as text from frozen_columns, as a bulk load takes them.
    updates = changed.select(pl.col("enrollment_id").alias("id"), *columns, pl.col("due").alias("individual_due_fen"))
    bulk_update(connection, _table(Enrollment), updates)
    audit.record(
        "assess_at_payment",
        "enrollment",
        changed,
        pl.col("enrollment_id"),
        pl.struct(
            individual_due_fen=pl.col("due"), financing_total_fen=pl.col("financing_total_fen")
        ).struct.json_encode(),
    )


def _payment_rows(
    connection: Connection, uow: UnitOfWork, channel: str, taking: pl.DataFrame, people: pl.DataFrame
) -> pl.DataFrame:
    notices = people.select(
        "notice_id",
        "notice_number",
        pl.col("notice_township").alias("township_code"),
        pl.col("notice_year").alias("insurance_year"),
    ).unique("notice_id")
    numbered = (
        taking.join(notices, on="notice_number")
        .sort("notice_id", "paid_at", "key")
        .with_columns(money_to=pl.col("amount_fen").cum_sum().over("notice_id"))
        .with_columns(money_from=pl.col("money_to") - pl.col("amount_fen"))
    )
    ids = reserve_ids(connection, _table(Payment), numbered.height).alias("payment_id")
    return numbered.with_columns(ids).select(
        "key",
        "notice_id",
        "money_from",
        "money_to",
        pl.col("payment_id").alias("id"),
        "payment_id",
        pl.lit(PaymentKind.PAYMENT.code).alias("kind"),
        pl.lit(channel).alias("channel"),
        "transaction_id",
        "amount_fen",
        "insurance_year",
        "township_code",
        "payer_name",
        pl.col("paid_at").dt.convert_time_zone("UTC"),
        pl.lit(uow.now.astimezone(UTC)).alias("recorded_at"),
        pl.lit(uow.actor).alias("actor"),
        pl.format("R{}{}", pl.col("insurance_year"), pl.col("payment_id").cast(pl.String).str.zfill(9)).alias(
            "receipt_number"
        ),
    )


def _audit(audit: AuditBatch, payments: pl.DataFrame, covered: pl.DataFrame) -> None:
    audit.record(
        "record",
        "payment",
        payments,
        pl.col("id"),
        pl.struct(
            "kind",
            "channel",
            "transaction_id",
            "amount_fen",
            "notice_id",
            "receipt_number",
            pl.col("paid_at").dt.strftime("%Y-%m-%dT%H:%M:%S%z"),
        ).struct.json_encode(),
    )
    audit.record(
        "effective",
        "enrollment",
        covered,
        pl.col("id"),
        pl.struct(
            "state", pl.col("benefit_start").dt.strftime("%Y-%m-%d"), pl.col("benefit_end").dt.strftime("%Y-%m-%d")
        ).struct.json_encode(),
    )
