"""Money in: payment channels, how a payment is applied to the people it pays for, notice and receipt numbers,
and the check a collection batch must pass. Pure computation; the ledger itself lives in the database.

The ledger is append-only (see ``DESIGN.md``): a payment is a row, a reversal or a refund is a new row linked
to it, and what a payment has paid for is a list of allocation rows. Every balance is a sum of rows:

* an enrollment's paid amount is the sum of its allocations;
* a payment's unapplied amount — money received that pays for nobody, and so awaits a refund — is its amount,
  less its reversals and refunds, less its allocations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from yibao.domain.policy.checks import instant_closes
from yibao.domain.policy.model import Policy

# 缴费渠道: how the money came (宁河 2023 三（三）lists the residents' ways; collection is a village's,
# school's or institution's batch of cash, 以户为单位代收).
PAYMENT_CHANNELS: dict[str, str] = {
    "counter_cash": "镇（街）经办窗口现金",
    "collection": "村（居）、学校代收",
    "bank": "银行临柜",
    "tax": "税务（手机APP、电子税务局）",
    "wechat": "微信",
    "alipay": "支付宝",
    "pos": "POS刷卡",
    "unionpay": "银联",
}


@dataclass(frozen=True)
class Owed:
    """One enrollment a payment may pay for, with what it still owes, in the order the notice lists them."""

    enrollment_id: int
    remaining_fen: int


@dataclass(frozen=True)
class Allocation:
    enrollment_id: int
    amount_fen: int


def allocate(amount_fen: int, owed: list[Owed]) -> tuple[list[Allocation], int]:
    """Apply a payment to what is owed, in order, each up to what it still owes; return the allocations and
    the unapplied remainder (an overpayment, to be refunded).

    In order rather than pro rata: a household's notice lists the head first, and an underpaid household then
    has whole members paid rather than every member part-paid — a member is covered only when fully paid.
    """
    if amount_fen < 0:
        raise ValueError("a payment brings in a non-negative amount")
    left = amount_fen
    allocations = []
    for item in owed:
        applied = min(left, max(item.remaining_fen, 0))
        if applied > 0:
            allocations.append(Allocation(item.enrollment_id, applied))
            left -= applied
    return allocations, left


def payment_deadline(policy: Policy, enrollment_channel: str) -> datetime:
    """The last instant the plan takes a payment in its windows for a channel: a notice's due time.

    A plan that takes late payments takes them after this too, on its late rules (full cost, waiting period);
    the notice still names the regular deadline, as the plans' own notices do."""
    closes = [
        instant_closes(window.closes)
        for window in policy.enrollment.windows
        if "payment" in window.applies_to and (window.channels == "all" or enrollment_channel in window.channels)
    ]
    if not closes:  # no window for this channel: the last one of any channel
        closes = [instant_closes(w.closes) for w in policy.enrollment.windows if "payment" in w.applies_to]
    return max(closes)


def notice_number(insurance_year: int, township_code: str, notice_id: int) -> str:
    """缴费通知单号: year, the township's 3 digits, a sequence — unique because the sequence is the row id."""
    return f"{insurance_year}{township_code[6:9]}{notice_id:07d}"


def receipt_number(insurance_year: int, payment_id: int) -> str:
    """票据号 of a confirmed payment."""
    return f"R{insurance_year}{payment_id:09d}"


@dataclass(frozen=True)
class BatchLine:
    """One person in a collection batch: what the village says it collected for them."""

    enrollment_id: int
    collected_fen: int


@dataclass(frozen=True)
class BatchDifference:
    enrollment_id: int
    due_fen: int
    collected_fen: int

    @property
    def difference_fen(self) -> int:
        return self.collected_fen - self.due_fen


def batch_differences(lines: list[BatchLine], due: dict[int, int]) -> list[BatchDifference]:
    """People whose collected amount is not what they owe (人款相符 fails for them)."""
    return [
        BatchDifference(line.enrollment_id, due.get(line.enrollment_id, 0), line.collected_fen)
        for line in lines
        if line.collected_fen != due.get(line.enrollment_id, 0)
    ]
