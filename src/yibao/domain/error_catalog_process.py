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
    "REGISTER_FORMAT": ("打印格式“{format}”无效：可选 pdf 或 xlsx", "register format '{format}' must be pdf or xlsx"),
    "REASON_DATE_FUTURE": ("登记日期{day}晚于今天", "the register's date {day} is after today"),
    # 登记册审核 (the review chain of a village's roster)
    "REGISTER_NOT_FOUND": ("没有编号为{id}的登记册", "no register {id}"),
    "REGISTER_EMPTY": ("登记册没有人员", "a register lists nobody"),
    "REGISTER_COLLECTOR_REQUIRED": ("请填写交册人（村（居）经办人）", "who hands the register in?"),
    "REGISTER_DUPLICATE_PERSON": ("参保登记编号{id}在登记册中出现两次", "enrollment {id} is twice on the register"),
    "REGISTER_PERSON_OUTSIDE": (
        "参保登记编号{id}不是{village}的本年度参保人员",
        "enrollment {id} is not of {village} in this insurance year",
    ),
    "REGISTER_NOT_PAYABLE": ("{name}（{state}）无需再缴费，不能列入登记册", "{name} ({state}) owes nothing"),
    "REGISTER_NO_HOUSEHOLD": ("{name}未在任何户内登记，请先登记其户", "{name} belongs to no household"),
    "REGISTER_PERSON_ELSEWHERE": (
        "{name}已在登记册{number}中（{state}），同一人不能同时列入两本登记册",
        "{name} is already on register {number} ({state})",
    ),
    "REGISTER_STATE": (
        "登记册{number}当前为“{state}”，不能{action}",
        "register {number} is {state_en}: cannot {action_en}",
    ),
    "REGISTER_REMARKS_REQUIRED": ("退回须写明原因", "a return needs its reasons"),
    "REGISTER_PAPER_CODE_REQUIRED": ("请输入或扫描纸质登记册上的校验码", "the paper register's checksum is required"),
    "REGISTER_PAPER_TOTALS_REQUIRED": (
        "请填写纸质登记册合计栏的人数和金额",
        "the paper register's totals are required",
    ),
    "REGISTER_OTHER_PAPER": (
        "扫描的是登记册{paper}，不是本登记册{number}",
        "the paper scanned is register {paper}, not {number}",
    ),
    "REGISTER_SAME_REVIEWER": (
        "复核须由核对人以外的人员进行（{name}已核对本登记册）",
        "the reviewer must not be the one who checked ({name})",
    ),
    "REGISTER_DEPOSIT_REFERENCE_REQUIRED": ("请填写银行缴款凭证号", "the bank's deposit reference is required"),
    "REGISTER_DEPOSIT_AMOUNT": (
        "缴入金额{amount}元与登记册合计{total}元不符",
        "deposited {amount} yuan, the register totals {total}",
    ),
}
