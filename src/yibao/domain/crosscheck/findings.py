"""What a clerk reads of a finding: the kind's title, the evidence in a sentence, and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from yibao.domain.vocabulary import CATEGORIES, IDENTITIES


@dataclass(frozen=True)
class FindingKind:
    key: str
    title: str
    action: str  # the suggested follow-up


FINDING_KINDS: dict[str, FindingKind] = {
    kind.key: kind
    for kind in (
        FindingKind(
            "unenrolled",
            "户籍人口未参保",
            "入户动员参保；确因在外地参保、参加职工医保、服兵役等无法参保的，登记未参保原因",
        ),
        FindingKind(
            "special_group_unenrolled", "特殊人群未参保", "特殊人群须应保尽保：联系主管部门与本人，办理资助参保"
        ),
        FindingKind("enrolled_twice", "重复参保", "核实参保地与险种，引导本人保留一处参保，多缴费用按规定退费"),
        FindingKind("deceased_enrolled", "参保人员已死亡", "核实死亡信息，注销参保登记，已缴费用按规定退还"),
        FindingKind("subsidy_without_identity", "无有效身份享受资助", "核实身份认定；身份已失效的重新核定缴费"),
        FindingKind("identity_without_subsidy", "有资助身份未享受资助", "核实身份后重新核定；已缴费的按规定退补差额"),
        FindingKind("category_mismatch", "人员类别与年龄或学籍不符", "核实年龄与学籍，更正人员类别后重新核定"),
        FindingKind("tax_not_recorded", "税务已缴费、本系统未记录", "核对税务缴费信息，补记缴费或办理参保登记"),
        FindingKind("tax_missing", "本系统记税务缴费、税务无记录", "向税务部门核实到账情况，未到账的冲正该笔缴费"),
    )
}

CODE_NAMES: dict[str, str] = {
    "lapsed": "上年度参保、本年度未续保（断保）",
    "never": "上年度亦未参保",
    "here": "本区重复登记",
    "same_person": "与其他参保人姓名、出生日期相同而身份证号不同（疑似一人多号，请核实）",
    "390": "已在外地参加城乡居民医保",
    "310": "已参加职工基本医疗保险",
    "minor_as_adult": "未满18周岁按成年居民参保",
    "adult_as_student": "已满18周岁且不在学生名单，按学生儿童参保",
    "student_as_adult": "在学生名单中，按成年居民参保",
}


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}元"


def evidence(
    kind: str,
    code: str | None,
    list_name: str | None,
    evidence_date: date | None,
    amount_fen: int | None,
    detail: str | None,
) -> str:
    """The finding's evidence as one sentence: which list (source and date), and what it says."""
    parts = []
    if code in CODE_NAMES:
        parts.append(CODE_NAMES[code])
    if kind == "special_group_unenrolled" and code:
        parts.append(
            f"身份：{IDENTITIES.get(code, code)}" + (f"（{evidence_date:%Y-%m-%d}起）" if evidence_date else "")
        )
    if kind == "identity_without_subsidy" and code:
        parts.append(f"身份：{IDENTITIES.get(code, code)}")
    if kind == "deceased_enrolled" and evidence_date:
        parts.append(f"死亡日期 {evidence_date:%Y-%m-%d}")
    if kind == "subsidy_without_identity" and amount_fen is not None:
        parts.append(f"已核定资助 {_yuan(amount_fen)}")
    if kind in ("tax_not_recorded", "tax_missing") and amount_fen is not None:
        parts.append(f"金额 {_yuan(amount_fen)}" + (f"，缴费日期 {evidence_date:%Y-%m-%d}" if evidence_date else ""))
    if kind == "enrolled_twice" and detail:
        parts.append(f"参保地：{detail}")
    if kind == "category_mismatch" and detail:
        parts.append(f"学校：{detail}" if detail not in CATEGORIES else f"现类别：{CATEGORIES[detail]}")
    if list_name:
        parts.append(f"依据：{list_name}")
    return "；".join(parts)
