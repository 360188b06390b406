"""A roster (电子名册) as clerks write it, checked whole: header aliases, value aliases, and every row's errors.

Pure Polars over a frame of strings, one lazy query for the whole file: what can be known from the file itself
(ID numbers, names, duplicates, categories, tiers, identities, villages, phones, sex and birth date against the
ID number, one head per household). What needs the database (name on record, enrolled elsewhere, eligibility)
the import service adds to the same ``errors`` list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from yibao.domain.certification import ROSTER_SOURCE as ROSTER_SOURCE  # a roster's 特殊身份 column only claims
from yibao.domain.idnumber_bulk import with_id_checks
from yibao.domain.person_fields import name_expr, name_problem, phone_problem
from yibao.domain.vocabulary import CATEGORIES, IDENTITIES

ROW = "_row"  # the row's number in the sheet, as the clerk sees it in Excel
ERRORS = "errors"  # list of {code, column, value} per row
ERROR_TYPE = pl.List(pl.Struct({"code": pl.String, "column": pl.String, "value": pl.String}))


@dataclass(frozen=True)
class Column:
    key: str
    title: str  # the header of our template
    aliases: tuple[str, ...]
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column(
        "id_number", "公民身份号码", ("身份证号", "身份证号码", "公民身份证号码", "证件号码", "身份证", "证件号"), True
    ),
    Column("name", "姓名", ("参保人姓名", "名字", "参保人"), True),
    Column("township", "镇（街）", ("镇街", "乡镇", "街道", "乡镇（街道）", "所属镇街", "镇")),
    Column("village", "村（居）", ("村居", "居委会", "村委会", "村", "社区", "村（社区）", "所属村居")),
    Column("household_number", "户号", ("户编号", "家庭编号", "户口簿编号")),
    Column("relation", "与户主关系", ("关系", "家庭关系")),
    Column("category", "人员类别", ("参保类别", "人员类型", "参保人员类别")),
    Column("tier", "缴费档次", ("档次", "参保档次")),
    Column("identity", "特殊身份", ("身份类别", "人员身份", "特殊人群类别", "资助类别")),
    Column("phone", "联系电话", ("电话", "手机号", "手机号码", "联系方式")),
    Column("address", "家庭住址", ("住址", "地址", "户籍地址", "居住地址")),
    Column("sex", "性别", ()),
    Column("birth_date", "出生日期", ("出生年月",)),
)

CATEGORY_ALIASES: dict[str, str] = {
    **{key: key for key in CATEGORIES},
    **{name: key for key, name in CATEGORIES.items()},
    **dict.fromkeys(("成年居民", "成年人", "成人", "城乡居民", "居民", "一般居民"), "adult"),
    **dict.fromkeys(("在校学生", "学生", "中小学生", "大学生", "大中专学生", "在校生"), "student"),
    **dict.fromkeys(("未入学儿童", "儿童", "学龄前儿童", "婴幼儿", "托幼儿童"), "child"),
    "新生儿": "newborn",
}
IDENTITY_ALIASES: dict[str, str] = {
    **{key: key for key in IDENTITIES},
    **{name: key for key, name in IDENTITIES.items()},
    **dict.fromkeys(("低保", "低保户", "低保对象", "城乡低保"), "dibao"),
    **dict.fromkeys(("低保边缘", "低保边缘户", "低保边缘家庭"), "dibao_edge"),
    **dict.fromkeys(("特困", "五保", "特困供养", "三无", "特困人员", "五保户"), "tekun"),
    "孤儿": "orphan",
    **dict.fromkeys(("优抚", "优抚对象"), "youfu"),
    **dict.fromkeys(("离休干部配偶", "离休干部遗孀"), "lixiu_spouse"),
    **dict.fromkeys(("重度残疾", "重残", "重度残疾人", "一二级残疾"), "severe_disability"),
    **dict.fromkeys(("残疾人", "一至四级残疾", "残疾"), "disability_1_4"),
    **dict.fromkeys(("建档立卡", "建档立卡贫困人口", "贫困人口", "建档立卡户"), "poverty"),
    "助学贷款": "student_loan",
    "低收入老人": "low_income_elderly",
    "低收入未成年人": "low_income_minor",
    **dict.fromkeys(("计生特殊家庭", "计划生育特殊家庭"), "family_planning"),
    "医疗救助": "medical_aid",
    **dict.fromkeys(("因病致贫", "因病致贫重症患者", "支出型贫困"), "illness_poverty"),
}
NO_IDENTITY = ("无", "否", "-", "—", "/")
RELATION_ALIASES: dict[str, str] = {
    **dict.fromkeys(("户主", "本人"), "户主"),
    **dict.fromkeys(("配偶", "妻", "夫", "妻子", "丈夫"), "配偶"),
    **dict.fromkeys(("子女", "子", "女", "儿子", "女儿", "长子", "次子", "长女", "次女", "三子", "三女"), "子女"),
    **dict.fromkeys(("父母", "父亲", "母亲", "父", "母"), "父母"),
}
SEX_ALIASES = {"男": "male", "女": "female", "1": "male", "2": "female", "male": "male", "female": "female"}


def normalize_header(text: str) -> str:
    """Headers as clerks type them: half- or full-width brackets, stray spaces, a '*' marking a required column."""
    text = re.sub(r"[\s*※]", "", str(text))
    return text.replace("(", "（").replace(")", "）")


def resolve_headers(headers: Iterable[str], columns: Sequence[Column] = COLUMNS) -> tuple[dict[str, str], list[str]]:
    """Map each recognized header to its column key; and the titles of required columns that are missing.

    A header matches a column by its title, its key or an alias; the first of two headers for one column wins.
    """
    lookup: dict[str, str] = {}
    for column in columns:
        for text in (column.title, column.key, *column.aliases):
            lookup.setdefault(normalize_header(text), column.key)
    mapping: dict[str, str] = {}
    for header in headers:
        key = lookup.get(normalize_header(header))
        if key is not None and key not in mapping.values():
            mapping[header] = key
    missing = [column.title for column in columns if column.required and column.key not in mapping.values()]
    return mapping, missing


def tier_aliases(tiers: Mapping[str, str]) -> dict[str, str]:
    """A plan's tiers by key, by name (成年居民中档) and by the name's short form (中档) where that is unambiguous."""
    aliases = {key: key for key in tiers} | {name: key for key, name in tiers.items()}
    shorts: dict[str, list[str]] = {}
    for key, name in tiers.items():
        shorts.setdefault(name[-2:], []).append(key)
    aliases |= {short: keys[0] for short, keys in shorts.items() if len(keys) == 1 and short not in aliases}
    return aliases


@dataclass(frozen=True)
class RosterContext:
    """What the file is checked against, besides itself."""

    on: date  # ID numbers' birth dates may not pass this day
    township_code: str
    township_name: str
    villages: Mapping[str, str]  # village name or code -> code, of the import's township only
    tiers: Mapping[str, str]  # alias -> tier key of the plan
    existing_households: frozenset[str] = field(default_factory=frozenset)  # 户号 already on record there


def _text(name: str) -> pl.Expr:
    value = pl.col(name).cast(pl.String).str.strip_chars()
    return pl.when(value != "").then(value)


def with_errors(frame: pl.LazyFrame, found: Sequence[pl.Expr]) -> pl.LazyFrame:
    """Append ``found`` (each null, or an error struct from :func:`error_struct`) to every row's :data:`ERRORS`
    (added, empty, if the frame has none yet). The lists are rebuilt only for rows that gained an error: a list
    concatenation costs seconds per million rows even when every part is null, and a roster is mostly clean.
    The structs are computed before the rows are split, so checks over windows (duplicates) see every row."""
    names = [f"_found_{index}" for index in range(len(found))]
    if ERRORS not in frame.collect_schema().names():
        frame = frame.with_columns(pl.lit([], dtype=ERROR_TYPE).alias(ERRORS))
    marked = frame.with_columns(*[expression.alias(name) for expression, name in zip(found, names, strict=True)])
    flagged = marked.filter(pl.any_horizontal([pl.col(name).is_not_null() for name in names])).select(
        ROW, pl.concat_list([ERRORS, *names]).list.drop_nulls().cast(ERROR_TYPE).alias("_errors")
    )
    # Joined back by row number: the few rows with new errors, not the whole (wide) frame re-sorted.
    return (
        marked.drop(names)
        .join(flagged, on=ROW, how="left", maintain_order="left")
        .with_columns(pl.coalesce("_errors", ERRORS).alias(ERRORS))
        .drop("_errors")
    )


def error_struct(code: str | pl.Expr, column: str, value: pl.Expr) -> pl.Expr:
    code_expr = pl.lit(code) if isinstance(code, str) else code
    return pl.struct(code=code_expr, column=pl.lit(column), value=value.cast(pl.String))


def _error(condition: pl.Expr, code: str | pl.Expr, column: str, value: pl.Expr | None = None) -> pl.Expr:
    shown = value if value is not None else pl.col(f"given_{column}")
    return pl.when(condition).then(error_struct(code, column, shown))


def check_roster(frame: pl.DataFrame, context: RosterContext) -> pl.DataFrame:
    """The roster with values normalized (id_number, category, tier, identities, village_code, relation …) and
    every row's errors found in the file itself. ``frame`` has the column keys of :data:`COLUMNS` (missing
    optional ones are added) and :data:`ROW`."""
    present = set(frame.columns)
    given = frame.lazy().select(
        pl.col(ROW),
        *[
            (_text(column.key) if column.key in present else pl.lit(None, dtype=pl.String)).alias(f"given_{column.key}")
            for column in COLUMNS
        ],
    )
    identity_tokens = (
        pl.col("given_identity").str.replace_all(r"[、,，/；;\s]+", ",").str.strip_chars(",").str.split(",")
    )
    checked = with_id_checks(
        given.with_columns(pl.col("given_id_number").fill_null("").alias("id_number")),
        "id_number",
        on=context.on,
        from_sheet=True,
    ).with_columns(
        name=name_expr(pl.col("given_name")),
        category=pl.col("given_category").replace_strict(CATEGORY_ALIASES, default=None),
        tier=pl.col("given_tier").replace_strict(dict(context.tiers), default=None),
        identities=pl.when(pl.col("given_identity").is_in(NO_IDENTITY).not_())
        .then(identity_tokens.list.eval(pl.element().replace_strict(IDENTITY_ALIASES, default=None)))
        .otherwise(pl.lit([], dtype=pl.List(pl.String))),
        village_code=pl.col("given_village").replace_strict(dict(context.villages), default=None),
        relation=pl.col("given_relation").replace_strict(RELATION_ALIASES, default="其他"),
        household_number=pl.col("given_household_number"),
        phone=pl.col("given_phone"),
        address=pl.col("given_address"),
        given_birth=loose_date(pl.col("given_birth_date")),
    )
    valid_id = pl.col("id_error").is_null()
    first_row = pl.col(ROW).min().over("id_number")
    heads = (pl.col("relation") == "户主").sum().over("household_number")
    errors = [
        _error(pl.col("id_error").is_not_null(), pl.col("id_error"), "id_number"),
        _error(name_problem(pl.col("name")).is_not_null(), name_problem(pl.col("name")), "name"),
        _error(valid_id & (pl.col(ROW) != first_row), "DUPLICATE_IN_FILE", "id_number", first_row),
        _error(
            pl.col("given_township").is_not_null()
            & ~pl.col("given_township").is_in([context.township_code, context.township_name]),
            "TOWNSHIP_MISMATCH",
            "township",
        ),
        _error(
            pl.col("given_village").is_not_null() & pl.col("village_code").is_null(), "VILLAGE_NOT_FOUND", "village"
        ),
        _error(pl.col("given_category").is_not_null() & pl.col("category").is_null(), "CATEGORY_UNKNOWN", "category"),
        _error(pl.col("given_tier").is_not_null() & pl.col("tier").is_null(), "TIER_UNKNOWN", "tier"),
        _error(pl.col("identities").list.eval(pl.element().is_null()).list.any(), "IDENTITY_UNKNOWN", "identity"),
        _error(phone_problem(pl.col("given_phone")), "PHONE_INVALID", "phone"),
        _error(
            valid_id
            & pl.col("given_sex").is_not_null()
            & (pl.col("given_sex").replace_strict(SEX_ALIASES, default=None).fill_null("?") != pl.col("sex")),
            "SEX_MISMATCH",
            "sex",
        ),
        _error(
            valid_id
            & pl.col("given_birth_date").is_not_null()
            & (pl.col("given_birth") != pl.col("birth_date")).fill_null(True),
            "BIRTH_DATE_MISMATCH",
            "birth_date",
        ),
        _error(pl.col("household_number").is_not_null() & (heads > 1), "HOUSEHOLD_HEADS", "relation", heads),
        _error(
            pl.col("household_number").is_not_null()
            & (heads == 0)
            & ~pl.col("household_number").is_in(list(context.existing_households)),
            "HOUSEHOLD_NO_HEAD",
            "household_number",
        ),
    ]
    return (
        with_errors(checked, errors)
        .select(
            ROW,
            "id_number",
            "name",
            "birth_date",
            "sex",
            "region_status",
            "category",
            "tier",
            pl.col("identities").list.drop_nulls().list.unique(maintain_order=True),
            "village_code",
            "household_number",
            "relation",
            "phone",
            "address",
            ERRORS,
        )
        .collect()
    )


def loose_date(text: pl.Expr) -> pl.Expr:
    """A date as clerks type it: 1980-01-02, 1980/1/2, 1980.1.2, 19800102, 1980年1月2日 (an Excel date arrives
    as '1980-01-02 00:00:00')."""
    parts = text.str.extract_groups(r"^(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})")
    iso = pl.format(
        "{}-{}-{}", parts.struct.field("1"), parts.struct.field("2").str.zfill(2), parts.struct.field("3").str.zfill(2)
    )
    return iso.str.to_date("%Y-%m-%d", strict=False)
