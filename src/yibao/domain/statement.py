"""A bank's or the tax bureau's statement of money received (对账单), checked whole: the default layout, the states
a line ends in, and the values each row must have. Matching against the ledger is the reconciliation service's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

import polars as pl

from yibao.domain.errors import YibaoError
from yibao.domain.roster import ROW, Column, error_struct, loose_date, with_errors
from yibao.domain.states import PaymentKind

# The documented default layout; a bank's own headers map onto these keys (see :func:`with_layout`).
STATEMENT_COLUMNS: tuple[Column, ...] = (
    Column(
        "transaction_id",
        "交易流水号",
        ("流水号", "交易号", "交易编号", "银行流水号", "订单号", "商户订单号", "缴款流水号", "交易参考号"),
        True,
    ),
    Column(
        "amount", "金额", ("交易金额", "缴费金额", "实收金额", "收款金额", "金额（元）", "发生额", "贷方金额"), True
    ),
    Column("paid_at", "交易时间", ("缴费时间", "到账时间", "交易日期", "入账时间", "支付时间", "记账日期"), True),
    Column("notice_number", "通知单号", ("缴费通知单号", "缴费单号", "业务单号", "缴费凭证号", "附言")),
    Column("payer_name", "缴费人", ("付款人", "付款人姓名", "户名", "对方户名", "对方名称")),
    Column("kind", "交易类型", ("收支类型", "业务类型", "交易摘要")),
    Column("original_transaction_id", "原交易流水号", ("原流水号", "原交易号", "原订单号")),
    Column("memo", "摘要", ("备注", "用途")),
)

# A clerk names our column by its title (本行表头=金额); an operator may use its key (=amount): both are taken.
KEY_OF_TITLE = {column.title: column.key for column in STATEMENT_COLUMNS}

# Each line ends in a StatementLineState (yibao.domain.states): settled, or finance's worklist until a finance user
# assigns the line to a notice (``assigned``) or rejects it (``rejected``: the money goes back).

REVERSAL_WORDS = ("冲正", "撤销", "退款", "退回", "冲销", PaymentKind.REVERSAL.code)
PAYMENT_WORDS = ("收款", "缴费", "收入", "贷", PaymentKind.PAYMENT.code)


def with_layout(mapping: Mapping[str, str] | None) -> tuple[Column, ...]:
    """The default layout with a bank's own headers added: ``{their header: our key}``."""
    extra: dict[str, list[str]] = {}
    for header, key in (mapping or {}).items():
        extra.setdefault(key, []).append(header)
    return tuple(replace(c, aliases=(*c.aliases, *extra.get(c.key, []))) for c in STATEMENT_COLUMNS)


def unknown_layout_keys(mapping: Mapping[str, str] | None) -> list[str]:
    known = {column.key for column in STATEMENT_COLUMNS}
    return sorted(set((mapping or {}).values()) - known)


def check_statement(frame: pl.DataFrame) -> pl.DataFrame:
    """Each line parsed — transaction id, amount in fen (a reversal's as a negative), the instant, the notice
    number, whether it is a payment or a reversal — with its errors. ``frame`` has the keys of
    :data:`STATEMENT_COLUMNS` (missing optional ones are added) and :data:`ROW`."""
    present = set(frame.columns)

    def given(key: str) -> pl.Expr:
        if key not in present:
            return pl.lit(None, dtype=pl.String)
        value = pl.col(key).cast(pl.String).str.strip_chars()
        return pl.when(value != "").then(value)

    lazy = frame.lazy().select(ROW, *[given(c.key).alias(f"given_{c.key}") for c in STATEMENT_COLUMNS])
    amount_text = pl.col("given_amount").str.replace_all(r"[,，¥￥元\s]", "")
    amount_fen = _fen(amount_text)
    kind_text = pl.col("given_kind").fill_null("")
    said_reversal = pl.any_horizontal([kind_text.str.contains(word, literal=True) for word in REVERSAL_WORDS])
    said_payment = pl.any_horizontal([kind_text.str.contains(word, literal=True) for word in PAYMENT_WORDS])
    parsed = lazy.with_columns(
        transaction_id=pl.col("given_transaction_id"),
        amount_fen=amount_fen,
        paid_at=_instant(pl.col("given_paid_at")),
        notice_number=pl.col("given_notice_number").str.extract(r"(\d{14})"),
        payer_name=pl.col("given_payer_name"),
        original_transaction_id=pl.col("given_original_transaction_id"),
        memo=pl.col("given_memo"),
        kind=pl.when(said_reversal | (amount_fen < 0))
        .then(pl.lit(PaymentKind.REVERSAL.code))
        .otherwise(pl.lit(PaymentKind.PAYMENT.code)),
    ).with_columns(
        amount_fen=pl.when(pl.col("kind") == PaymentKind.REVERSAL)
        .then(-pl.col("amount_fen").abs())
        .otherwise("amount_fen")
    )
    errors = [
        pl.when(pl.col("transaction_id").is_null()).then(
            error_struct("TRANSACTION_ID_MISSING", "transaction_id", pl.lit(None, dtype=pl.String))
        ),
        pl.when(pl.col("amount_fen").is_null() | (pl.col("amount_fen") == 0)).then(
            error_struct("YUAN_INVALID", "amount", pl.col("given_amount"))
        ),
        pl.when(pl.col("paid_at").is_null()).then(error_struct("DATE_INVALID", "paid_at", pl.col("given_paid_at"))),
        pl.when(pl.col("given_kind").is_not_null() & ~said_reversal & ~said_payment).then(
            error_struct("STATEMENT_KIND_UNKNOWN", "kind", pl.col("given_kind"))
        ),
        pl.when((pl.col("kind") == PaymentKind.REVERSAL) & pl.col("original_transaction_id").is_null()).then(
            error_struct("ORIGINAL_TRANSACTION_REQUIRED", "original_transaction_id", pl.col("transaction_id"))
        ),
    ]
    return (
        with_errors(parsed, errors)
        .select(
            ROW,
            "transaction_id",
            "amount_fen",
            "paid_at",
            "notice_number",
            "payer_name",
            "original_transaction_id",
            "memo",
            "kind",
            "errors",
        )
        .collect()
    )


def _fen(text: pl.Expr) -> pl.Expr:
    """Yuan as written (440, 440.5, 440.50, -440.00) to whole fen; more than two decimals is not an amount."""
    parts = text.str.extract_groups(r"^(-?)(\d+)(?:\.(\d{1,2}))?$")
    sign = pl.when(parts.struct.field("1") == "-").then(-1).otherwise(1)
    whole = parts.struct.field("2").cast(pl.Int64, strict=False)
    cents = parts.struct.field("3").fill_null("0").str.pad_end(2, "0").cast(pl.Int64, strict=False)
    return sign * (whole * 100 + cents)


def _instant(text: pl.Expr) -> pl.Expr:
    """A statement's time (2017-10-26 10:01:02, 2017/10/26 10:01, 20171026100102) or date alone (the start of
    that day), in Shanghai time."""
    cleaned = text.str.replace_all(r"[/.年月]", "-").str.replace_all(r"[日]", "").str.replace("T", " ")
    stamp = pl.coalesce(
        cleaned.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False),
        cleaned.str.to_datetime("%Y-%m-%d %H:%M", strict=False),
        cleaned.str.to_datetime("%Y%m%d%H%M%S", strict=False),
        loose_date(text).cast(pl.Datetime("us")),
    )
    return stamp.dt.replace_time_zone("Asia/Shanghai")


def parse_layout(items: Iterable[str], field: str = "layout") -> dict[str, str] | None:
    """A bank's own headers as given by a clerk or an operator, one ``THEIR HEADER=our column`` per item — our
    column by its title (金额) or its key (amount); a full-width ＝ too; blank items skipped: the mapping, or None
    for the default layout. Whether the keys are ours is checked with the statement (:func:`unknown_layout_keys`)."""
    layout = {}
    for item in items:
        if not item.strip():
            continue
        header, _, key = item.replace("＝", "=").partition("=")
        if not header.strip() or not key.strip():
            raise YibaoError("STATEMENT_LAYOUT_UNKNOWN", field=field, keys=item.strip(), available="表头=字段")
        layout[header.strip()] = KEY_OF_TITLE.get(key.strip(), key.strip())
    return layout or None
