"""Why a resident is not eligible under a plan: stable codes with Chinese and English text.

Not eligible is an answer, not an error: a quote prints it and exits 0.
"""

from __future__ import annotations

REASONS: dict[str, tuple[str, str]] = {
    "id_number_invalid": ("公民身份号码无效", "the ID number is not valid"),
    "residency_not_accepted": (
        "不属于本方案的参保范围（户籍或居住证）",
        "residency is outside the plan's scope",
    ),
    "in_employee_insurance": ("属于城镇职工基本医疗保险参保范围", "covered by employee medical insurance"),
    "category_not_in_policy": ("本方案没有该人员类别", "the plan has no such category"),
    "tier_not_allowed": ("该人员类别不能选择此缴费档次", "this tier is not open to the category"),
    "under_category_min_age": (
        "未达到该人员类别的年龄（未满十八周岁应按学生身份参保）",
        "too young for this category",
    ),
    "window_not_open": ("参保登记尚未开始", "enrollment has not opened yet"),
    "channel_closed": (
        "该参保渠道已截止，请到镇（街）经办机构个人办理",
        "this channel has closed; enroll in person",
    ),
    "registration_closed": (
        "参保登记已截止，逾期不再受理",
        "registration has closed; late enrollment is refused",
    ),
    "payment_closed": ("缴费已截止，逾期不再受理", "payment has closed; late payment is refused"),
    "no_cover_left": ("缴费后的待遇起始日已超出本年度", "cover would start after the insurance year ends"),
}


def reason_text(code: str) -> tuple[str, str]:
    return REASONS[code]
