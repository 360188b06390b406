"""The closed vocabularies a policy file and a quote speak: categories, channels, identities, payers' roles.

Identity codes are yibao's own, stable across regions; each policy maps them onto its groups. Where the
national platform has a code, it is given (``../shared/reference/national-codes.md``).
"""

from __future__ import annotations

from typing import Literal

Category = Literal["adult", "student", "child", "newborn"]
SEXES: dict[str, str] = {"male": "男", "female": "女"}  # as an ID number's 17th digit says

CATEGORIES: dict[str, str] = {
    "adult": "成年居民",
    "student": "在校学生",
    "child": "未入学儿童（含托幼机构儿童）",
    "newborn": "新生儿",
}

Channel = Literal["village", "community", "school", "kindergarten", "welfare_institution", "department", "individual"]
CHANNELS: dict[str, str] = {
    "village": "村委会",
    "community": "居委会（社区）",
    "school": "学校",
    "kindergarten": "托幼机构",
    "welfare_institution": "福利机构",
    "department": "主管部门统一办理",
    "individual": "个人到镇（街）经办机构办理",
}

Residency = Literal["local_hukou", "residence_permit", "permit_dependant", "nonlocal"]
RESIDENCIES: dict[str, str] = {
    "local_hukou": "本市户籍",
    "residence_permit": "持本市居住证（含港澳台居民居住证、外国人永久居留身份证）",
    # A migrant's child who holds no permit of their own (a permit is issued from 16): the plans that admit
    # "外来务工人员及其子女" or "持居住证人员及其随迁子女" take them, the others do not.
    "permit_dependant": "随迁子女（父母持本市居住证，本人无居住证）",
    "nonlocal": "非本市户籍且无居住证",
}
RESIDENCY_SHORT: dict[str, str] = {  # for a form's drop-down, where the full names do not fit
    "local_hukou": "本市户籍",
    "residence_permit": "持居住证",
    "permit_dependant": "随迁子女",
    "nonlocal": "外地无居住证",
}

IDENTITIES: dict[str, str] = {
    "dibao": "最低生活保障对象（低保）",
    "dibao_edge": "最低生活保障边缘家庭成员（低保边缘）",
    "tekun": "特困供养人员（特困、五保、三无）",
    "orphan": "孤儿",
    "youfu": "优抚对象",
    "lixiu_spouse": "离休干部无固定收入的配偶（遗孀）",
    "severe_disability": "重度残疾人",
    "disability_1_4": "一至四级残疾人",
    "poverty": "建档立卡贫困人口",
    "student_loan": "享受国家助学贷款的高校学生",
    "low_income_elderly": "低收入家庭60周岁以上老年人",
    "low_income_minor": "低收入家庭未成年人",
    "family_planning": "计划生育特殊家庭（独生子女、双女、伤残死亡家庭）",
    "medical_aid": "医疗救助对象",
    "illness_poverty": "因病致贫家庭重症患者",
}

SURVIVAL_STATUSES: dict[str, str] = {"alive": "正常", "deceased": "死亡", "missing": "失踪", "unknown": "状态不明"}

Setting = Literal["pharmacy", "emergency_observation"]
SETTINGS: dict[str, str] = {  # where a claim arises other than a hospital's own clinic or ward
    "pharmacy": "定点零售药店购药",
    "emergency_observation": "急诊抢救留观（转住院治疗前）",
}

Service = Literal["outpatient", "special_disease", "inpatient"]
SERVICES: dict[str, str] = {
    "outpatient": "普通门（急）诊",
    "special_disease": "门诊特定疾病",
    "inpatient": "住院",
}
