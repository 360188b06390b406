"""A record's audit trail as a clerk reads it: one Chinese sentence per entry — "渔阳镇经办员 变更人员信息：联系电话由
13811112222改为13912345678" — with the actions, records, fields and values named as the pages name them. The
entries themselves keep their codes (the API gives both).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from yibao.domain.money import format_yuan
from yibao.domain.states import EnrollmentState
from yibao.domain.vocabulary import CATEGORIES, CHANNELS, RESIDENCY_SHORT, SEXES

ACTIONS = {
    "create": "新建",
    "enroll": "参保登记",
    "change": "变更",
    "assess": "核定",
    "assess_at_payment": "缴费时核定",
    "cancel": "注销",
    "move": "迁入家庭户",
    "renew": "续保",
    "effective": "生效",
    "release": "释放",
    "unsettle": "撤销缴费",
    "flag": "标记特殊身份",
    "reassess": "重新核定",
}
ENTITIES = {"resident": "人员信息", "enrollment": "参保登记", "household": "家庭户"}
FIELDS = {
    "name": "姓名",
    "id_number": "公民身份号码",
    "sex": "性别",
    "birth_date": "出生日期",
    "phone": "联系电话",
    "address": "家庭住址",
    "township_code": "镇（街）",
    "village_code": "村（居）",
    "household_id": "家庭户",
    "survival_status": "生存状态",
    "residency": "户籍类别",
    "ethnicity": "民族",
    "state": "状态",
    "category": "人员类别",
    "tier": "缴费档次",
    "benefit_tier": "待遇档次",
    "channel": "参保渠道",
    "insurance_year": "参保年度",
    "individual_due_fen": "个人应缴",
    "assisted_subsidy_fen": "资助金额",
    "government_subsidy_fen": "政府补助",
    "financing_total_fen": "筹资标准",
    "benefit_start": "待遇开始",
    "benefit_end": "待遇结束",
    "reason": "原因",
}
SURVIVAL = {"alive": "在世", "deceased": "已故"}
RESIDENCY = RESIDENCY_SHORT


def _value(field: str, value: Any, names: Mapping[str, str]) -> str:
    """A value as the pages show it: yuan for fen, names for codes, 空 for nothing."""
    if value is None or value == "":
        return "空"
    if field.endswith("_fen") and isinstance(value, int):
        return f"{format_yuan(value)}元"
    text = str(value)
    table: Mapping[str, str] = {
        "state": EnrollmentState.names(),
        "category": CATEGORIES,
        "channel": CHANNELS,
        "sex": SEXES,
        "survival_status": SURVIVAL,
        "residency": RESIDENCY,
    }.get(field, names)
    return table.get(text, text)


def sentence(
    action: str,
    entity: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    names: Mapping[str, str],
) -> str:
    """What happened, in Chinese: the action and the record, then each field that changed (or was set) with its
    old and new value. ``names`` names codes the entry may hold: areas, the plan's tiers, users."""
    verb, noun = ACTIONS.get(action, action), ENTITIES.get(entity, "")
    what = verb if noun in verb else f"{verb}{noun}"  # 参保登记, not 参保登记参保登记
    reason = (after or {}).get("reason")
    because = f"（原因：{reason}）" if reason else ""
    changed = [
        (field, (before or {}).get(field), value)
        for field, value in (after or {}).items()
        if field in FIELDS and field != "reason" and (before is None or before.get(field) != value)
    ]
    if before is None:  # a new record: what it was made with
        parts = [f"{FIELDS[field]}{_value(field, new, names)}" for field, _, new in changed if new not in (None, "")]
    else:
        parts = [
            f"{FIELDS[field]}由{_value(field, old, names)}改为{_value(field, new, names)}"
            for field, old, new in changed
        ]
    return (f"{what}：" + "，".join(parts) if parts else what) + because
