"""The error codes of the plans' own processes (see docs/review.md): the reason register as the plan's form,
cash handed up to the township's office, reports by unit. Part of :data:`yibao.domain.error_catalog.CATALOG`."""

from __future__ import annotations

PROCESS_CATALOG: dict[str, tuple[str, str]] = {
    "UNIT_REPORT_NO_UNIT": (
        "{role}没有需要报送进度的单位：部门用户报送本部门认定人员、镇（街）经办员报送本镇（街）的参保缴费进度",
        "a {role} reports for no unit",
    ),
    "HANDOVER_DATE_FUTURE": ("代收日期{day}晚于今天", "the collection day {day} is after today"),
    "HANDOVER_AMOUNT_INVALID": ("上缴金额不能为{amount}元", "a handover of {amount} yuan"),
    "HANDOVER_COLLECTOR_REQUIRED": ("请填写交款人（村居代收人）", "who handed the cash up?"),
    "HANDOVER_RECEIPTS_REQUIRED": (
        "请填写本次代收开具的专用票据号",
        "the special receipts issued for this cash are required",
    ),
    "HANDOVER_NOTE_REQUIRED": ("冲减上缴金额须写明原因", "a negative handover needs a note"),
    "REGISTER_FORMAT": ("登记表格式“{format}”无效：可选 pdf 或 xlsx", "register format '{format}' must be pdf or xlsx"),
    "REASON_DATE_FUTURE": ("登记日期{day}晚于今天", "the register's date {day} is after today"),
}
