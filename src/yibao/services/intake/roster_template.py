"""The roster template (名册模板) a village, school or institution fills in: the columns the import reads, with
drop-downs of the current plan's tiers and the township's villages, and a sheet explaining every column."""

from __future__ import annotations

from sqlalchemy import select

from yibao.adapters.db.tables import Area
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.adapters.sheet_files import TemplateColumn, write_template
from yibao.domain.errors import YibaoError
from yibao.domain.roster import COLUMNS, IDENTITY_ALIASES, RELATION_ALIASES, normalize_header
from yibao.domain.timeutil import as_shanghai
from yibao.domain.vocabulary import CATEGORIES, IDENTITIES
from yibao.services.access import Principal
from yibao.services.policy.campaigns import campaign_policy

KINDS = ("xlsx", "csv")
NOTES = {
    "id_number": "18位公民身份号码；15位旧号码会自动升位。请保持文本格式，勿让Excel改为科学计数法",
    "name": "与户籍登记一致；与系统中已登记的姓名不符时，该行不导入",
    "township": "可不填；填写时须为导入的镇（街）",
    "village": "村（居）名称或12位代码",
    "household_number": "同一户填写相同户号，每户须有一名户主",
    "relation": "户主、配偶、子女、父母，其他关系写“其他”",
    "category": "不填时按身份证号计算的年龄确定",
    "tier": "不填时按实施方案的默认档次",
    "identity": "享受资助的特殊身份，可填多个，用顿号分隔；无则不填",
    "phone": "手机号或固定电话",
    "address": "",
    "sex": "可不填；填写时须与身份证号一致",
    "birth_date": "可不填；填写时须与身份证号一致（如 2010-05-01）",
}


def _short_names(aliases: dict[str, str], keys: list[str]) -> tuple[str, ...]:
    """For each key, the shortest Chinese way the import reads it (低保 rather than 最低生活保障对象（低保）)."""
    names = []
    for key in keys:
        chinese = [alias for alias, target in aliases.items() if target == key and not alias.isascii()]
        names.append(min(chinese, key=len) if chinese else key)
    return tuple(names)


def roster_template(uow: UnitOfWork, principal: Principal, township_code: str | None, kind: str) -> tuple[bytes, str]:
    """The template's bytes and its file name. With a township, its villages are offered in a drop-down."""
    if kind not in KINDS:
        raise YibaoError("ROSTER_FILE_KIND", field="format", name=f"名册模板.{kind}")
    policy = campaign_policy(principal.district, as_shanghai(uow.now).date(), uow.session)
    villages: tuple[str, ...] = ()
    if township_code:
        principal.require_township(township_code)
        villages = tuple(uow.session.scalars(select(Area.name).where(Area.parent_code == township_code)))
    choices = {
        "village": villages,
        "relation": (*dict.fromkeys(RELATION_ALIASES.values()), "其他"),
        "category": tuple(CATEGORIES.values()),
        "tier": tuple(tier.name for tier in policy.tiers.values()),
        "identity": _short_names(IDENTITY_ALIASES, list(IDENTITIES)),
        "sex": ("男", "女"),
    }
    columns = [
        TemplateColumn(
            title=column.title,
            required=column.required,
            aliases=tuple(alias for alias in column.aliases if normalize_header(alias) != column.title),
            choices=choices.get(column.key, ()),
            note=NOTES.get(column.key, ""),
            open_choice=column.key in ("identity", "tier"),
        )
        for column in COLUMNS
    ]
    notes = [
        f"适用方案：{policy.name}（{policy.insurance_year}年度）",
        "红色列名为必填列。表头可在前10行内，表头上方可以有标题行；列的顺序不限，多余的列会被忽略。",
        "导入时先检查整个文件，所有错误一次列出并生成错误文件；改正后重新上传，已导入的行不会重复。",
    ]
    name = f"参保名册模板-{policy.insurance_year}.{kind}"
    return write_template(columns, kind, notes), name
