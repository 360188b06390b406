"""Targets (任务指标): loaded from the plan's own table (蓟州 2018, 静海 2022 ship with theirs), or from a bureau's
sheet; by township (or an institution the plan names), by category, for an insurance year.

The plan's notes are respected: 蓟州's township figures exclude special groups and students, so they are
``general`` targets, and the district's 62.84万 is the ``all`` target of the district; 静海 splits each township
into general residents, students and special groups. Loading again replaces the year's targets from the same
source, so the result never double-counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
from pydantic import BaseModel
from sqlalchemy import delete, select

from yibao.adapters.area_aliases import alias_of
from yibao.adapters.db.tables import Area, Organization, Target
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.policy.model import TargetRow
from yibao.domain.roster import ROW
from yibao.domain.roster import Column as RosterColumn
from yibao.services.access import Permission, Principal
from yibao.services.policy.plans import get_policy
from yibao.services.sheets import read_table

CATEGORY_NAMES = {"all": "合计", "general": "一般居民", "students": "学生", "special_groups": "特殊群体"}
UNIT_SUFFIXES = ("办事处", "办", "党工委")  # 朝阳街道办 is the area 朝阳街道
UNIT_KIND_NAMES = {
    "district": "全区",
    "township": "镇（街）",
    "village": "村（居）",
    "institution": "单位",
    "unmatched": "未对应镇（街）",
}


class TargetView(BaseModel):
    unit: str
    unit_kind: str
    area_code: str | None
    includes: list[str]
    category: str
    category_name: str
    persons: int
    source: str
    organization_id: int | None = None  # an institution's: the organization whose enrollments it counts
    organization_name: str | None = None
    source_name: str | None = None  # where it came from, in words: 实施方案《…》 or 导入表格 …
    area_name: str | None = None  # today's name of the township it counts (the plan's 街道办 is 文昌街道)


def district_areas(uow: UnitOfWork, district: str) -> dict[str, str]:
    rows = uow.session.execute(
        select(Area.name, Area.code).where(Area.code.startswith(district), Area.level.in_(["district", "township"]))
    ).all()
    return {name: code for name, code in rows}


def _villages(uow: UnitOfWork, district: str) -> dict[tuple[str, str], str]:
    """(township code, village name) -> village code."""
    rows = uow.session.execute(
        select(Area.parent_code, Area.name, Area.code).where(Area.code.startswith(district), Area.level == "village")
    ).all()
    return {(parent or "", name): code for parent, name, code in rows}


def district_organizations(uow: UnitOfWork, district: str) -> dict[int, str]:
    """The district's organizations: id -> name."""
    rows = uow.session.execute(
        select(Organization.id, Organization.name).where(Organization.township_code.startswith(district))
    ).all()
    return {organization: name for organization, name in rows}


def organization_named(unit: str, organizations: dict[int, str]) -> int | None:
    """The organization a plan's institution row names: the one of the same name, else the one whose name holds
    the row's or is held in it (the plan's 天津大学仁爱学院 is an organization named 仁爱学院) — none where two
    would fit: a guess between two schools would count one's students for the other."""
    key = "".join(unit.split())
    same = [org for org, name in organizations.items() if "".join(name.split()) == key]
    if len(same) == 1:
        return same[0]
    if len(key) < 4:
        return None
    near = [org for org, name in organizations.items() if len(name) >= 4 and (key in name or name in key)]
    return near[0] if len(near) == 1 else None


def _unit(name: str, areas: dict[str, str], district: str) -> str:
    """The unit a target is kept under: the plan's own name, except for a township merged away since the plan
    (蓟州's 五百户镇), which is counted and ranked as the township it became (州河湾镇), never on its own."""
    alias = alias_of(district, name)
    return alias.today if alias is not None and alias.merged and alias.today in areas else name


def area_of(name: str, areas: dict[str, str], district: str = "") -> str | None:
    """The township a plan's unit names, by the names plans use: the alias list first (五百户镇 is now part of
    州河湾镇, see :mod:`yibao.adapters.area_aliases`), then the rules of how plans write names: 朝阳街道办 is
    朝阳街道; 孙各庄乡 is 孙各庄满族乡 (an ethnic township's full name); 街道办 is the district's one 街道, where it
    has exactly one. A name none of these explains matches nothing: its target is kept, unmatched, for the bureau
    to assign."""
    if name in areas:
        return areas[name]
    alias = alias_of(district, name)
    if alias is not None and alias.today in areas:
        return areas[alias.today]
    for suffix in UNIT_SUFFIXES:
        if name.endswith(suffix) and name.removesuffix(suffix) in areas:
            return areas[name.removesuffix(suffix)]
    stem, kind = name[:-1], name[-1:]
    longer = [code for area, code in areas.items() if area.startswith(stem) and area.endswith(kind) and stem]
    if kind == "乡" and len(longer) == 1:
        return longer[0]
    streets = [code for area, code in areas.items() if area.endswith("街道")]
    if name in ("街道办", "街道", "街道办事处") and len(streets) == 1:
        return streets[0]
    return None


def _rows(row: TargetRow, excludes: Sequence[str]) -> list[tuple[str, int]]:
    """A table row as (category, persons): a total that excludes students and special groups is a general one."""
    split = [(key, value) for key, value in (("general", row.general), ("students", row.students)) if value]
    split += [("special_groups", row.special_groups)] if row.special_groups else []
    if row.total is None:
        return split
    total_category = "general" if {"students", "special_groups"} <= set(excludes) else "all"
    return [(total_category, row.total), *[(key, value) for key, value in split if key != total_category]]


def load_policy_targets(uow: UnitOfWork, principal: Principal, policy_id: str) -> list[TargetView]:
    principal.require(Permission.MANAGE_TARGETS)
    policy = get_policy(policy_id, uow.session)
    if policy.region.code != principal.district:
        raise YibaoError(
            "POLICY_OTHER_DISTRICT",
            field="policy_id",
            policy=policy.id,
            region=policy.region.name,
            township=principal.area_code,
        )
    table = policy.targets.township_table
    areas = district_areas(uow, principal.district)
    source = f"policy:{policy.id}"
    found: list[Target] = []

    organizations = district_organizations(uow, principal.district)

    def add(
        unit: str,
        kind: str,
        area_code: str | None,
        includes: list[str],
        category: str,
        persons: int,
        organization_id: int | None = None,
    ) -> None:
        found.append(
            Target(
                insurance_year=policy.insurance_year,
                district_code=principal.district,
                area_code=area_code,
                unit=unit,
                unit_kind=kind,
                includes=includes,
                organization_id=organization_id,
                category=category,
                persons=persons,
                source=source,
                loaded_at=uow.now,
                actor=uow.actor,
            )
        )

    if table is not None:
        for row in table.rows:
            code = area_of(row.unit, areas, principal.district)
            includes = [included for name in row.includes if (included := area_of(name, areas, principal.district))]
            unit = _unit(row.unit, areas, principal.district)
            for category, persons in _rows(row, table.excludes):
                add(unit, "township" if code else "unmatched", code, includes, category, persons)
        for row in table.institutions:
            organization = organization_named(row.unit, organizations)
            for category, persons in _rows(row, table.excludes):
                add(row.unit, "institution", None, [], category, persons, organization)
    if policy.targets.total is not None:
        district = f"{principal.district}000000"
        add(policy.region.name, "district", district, [], "all", policy.targets.total.persons)
    uow.session.execute(
        delete(Target).where(
            Target.insurance_year == policy.insurance_year,
            Target.district_code == principal.district,
            Target.source == source,
        )
    )
    uow.session.add_all(found)
    uow.session.flush()
    uow.audit("load", "targets", source, None, {"insurance_year": policy.insurance_year, "rows": len(found)})
    uow.commit()
    return list_targets(uow, principal, policy.insurance_year)


def list_targets(uow: UnitOfWork, principal: Principal, insurance_year: int) -> list[TargetView]:
    if not (principal.may(Permission.READ_RESIDENTS) or principal.may(Permission.MANAGE_TARGETS)):
        principal.require(Permission.READ_RESIDENTS)
    rows = uow.session.scalars(
        select(Target)
        .where(Target.insurance_year == insurance_year, Target.district_code == principal.district)
        .order_by(Target.area_code.is_(None), Target.area_code, Target.unit, Target.category)
    ).all()
    organizations = district_organizations(uow, principal.district)
    bound = institution_organizations(rows, organizations)
    names = {code: name for name, code in district_areas(uow, principal.district).items()}
    return [
        TargetView(
            unit=row.unit,
            unit_kind=row.unit_kind,
            area_code=row.area_code,
            includes=list(row.includes),
            category=row.category,
            category_name=CATEGORY_NAMES[row.category],
            persons=row.persons,
            source=row.source,
            organization_id=bound.get(row.unit),
            organization_name=organizations.get(bound.get(row.unit) or 0),
            source_name=_source_name(uow, row.source),
            area_name=names.get(row.area_code or ""),
        )
        for row in rows
    ]


def _source_name(uow: UnitOfWork, source: str) -> str:
    kind, _, name = source.partition(":")
    if kind == "policy":
        try:
            return f"实施方案《{get_policy(name, uow.session).name}》"
        except YibaoError:
            return f"实施方案 {name}"
    return f"导入表格 {name}" if kind == "file" else source


def institution_organizations(rows: Sequence[Target], organizations: dict[int, str]) -> dict[str, int]:
    """Institution unit -> the organization whose enrollments it counts: the one bound to it, else the one it
    names (an organization created after the targets were loaded is found the same way as at loading)."""
    bound: dict[str, int] = {}
    for row in rows:
        if row.unit_kind != "institution":
            continue
        organization = row.organization_id or organization_named(row.unit, organizations)
        if organization is not None:
            bound[row.unit] = organization
    return bound


def bind_institution(
    uow: UnitOfWork, principal: Principal, insurance_year: int, unit: str, organization_id: int
) -> list[TargetView]:
    """Bind a target unit to the organization that enrolls its people, where their names differ too much to be
    found by name: the unit then counts that organization's enrollments (and they leave their township's count).
    A unit the plan's table could not place (未对应镇（街）) becomes an institution this way."""
    principal.require(Permission.MANAGE_TARGETS)
    organization = uow.session.get(Organization, organization_id)
    if organization is None or not organization.township_code.startswith(principal.district):
        raise YibaoError("ORGANIZATION_UNKNOWN", field="organization_id", id=organization_id)
    rows = uow.session.scalars(
        select(Target).where(
            Target.insurance_year == insurance_year,
            Target.district_code == principal.district,
            Target.unit == unit,
            Target.unit_kind.in_(["institution", "unmatched"]),
        )
    ).all()
    if not rows:
        raise YibaoError("TARGET_UNIT_UNKNOWN", field="unit", unit=unit, year=insurance_year)
    before = {"organization_id": rows[0].organization_id, "unit_kind": rows[0].unit_kind}
    for row in rows:
        row.organization_id, row.unit_kind, row.area_code = organization.id, "institution", None
    uow.audit("bind", "targets", unit, before, {"organization_id": organization.id, "insurance_year": insurance_year})
    uow.commit()
    return list_targets(uow, principal, insurance_year)


TARGET_COLUMNS: tuple[RosterColumn, ...] = (
    RosterColumn("unit", "单位", ("镇（街）", "镇街", "乡镇", "乡镇（街道）", "单位名称", "镇街名称"), True),
    RosterColumn("village", "村（居）", ("村居", "村", "社区", "村（社区）", "村委会", "居委会")),
    RosterColumn("all", "合计", ("任务数", "总数", "参保任务", "任务指标", "指标", "小计")),
    RosterColumn("general", "一般居民", ("城乡居民", "普通居民", "居民")),
    RosterColumn("students", "学生", ("在校学生", "学生儿童", "中小学生")),
    RosterColumn("special_groups", "特殊群体", ("困难群体", "资助参保", "特殊人群")),
)


def import_targets(
    uow: UnitOfWork, principal: Principal, insurance_year: int, file_name: str, content: bytes
) -> list[TargetView]:
    """A bureau's own target sheet: one row per unit (a township by name, or a village of it when the sheet has a
    村（居） column and the row names one), a figure per category column present.
    Checked whole — a figure that is not a whole number refuses the sheet, naming row and column. The sheet's
    units replace their earlier targets of the year; other units keep theirs."""
    principal.require(Permission.MANAGE_TARGETS)
    sheet, mapping = read_table(content, file_name, TARGET_COLUMNS)
    frame = sheet.frame.select(ROW, *[pl.col(header).alias(key) for header, key in mapping.items()])
    areas = district_areas(uow, principal.district)
    villages = _villages(uow, principal.district)
    rows: list[tuple[str, str, int]] = []
    village_of: dict[str, str] = {}  # unit -> village code, for the rows that name a village
    for record in frame.iter_rows(named=True):
        unit = _unit(str(record["unit"] or "").strip(), areas, principal.district)
        if not unit or unit in ("合计", "小计", "总计"):
            continue
        village = str(record.get("village") or "").strip()
        if village:
            code = villages.get((area_of(unit, areas, principal.district) or "", village))
            if code is None:
                raise YibaoError("VILLAGE_NAME_UNKNOWN", field="village", row=record[ROW], value=village, township=unit)
            unit = f"{unit}{village}"
            village_of[unit] = code
        for category in ("all", "general", "students", "special_groups"):
            text = str(record.get(category) or "").strip().replace(",", "")
            if not text or text in ("—", "-", "/"):
                continue
            if not text.isdigit():
                header = next(h for h, key in mapping.items() if key == category)
                raise YibaoError("TARGET_FIGURE", field=header, row=record[ROW], value=text)
            rows.append((unit, category, int(text)))
    if not rows:
        raise YibaoError("ROSTER_EMPTY", field="file", name=file_name)
    units = sorted({unit for unit, _, _ in rows})
    uow.session.execute(
        delete(Target).where(
            Target.insurance_year == insurance_year,
            Target.district_code == principal.district,
            Target.unit.in_(units),
        )
    )
    district_name = next((name for name, code in areas.items() if code.endswith("000000")), None)
    for unit, category, persons in rows:
        code = village_of.get(unit) or area_of(unit, areas, principal.district)
        if unit in village_of:
            kind = "village"
        else:
            kind = "district" if unit == district_name else ("township" if code else "unmatched")
        uow.session.add(
            Target(
                insurance_year=insurance_year,
                district_code=principal.district,
                area_code=code,
                unit=unit,
                unit_kind=kind,
                includes=[],
                category=category,
                persons=persons,
                source=f"file:{file_name}"[:120],
                loaded_at=uow.now,
                actor=uow.actor,
            )
        )
    uow.session.flush()
    uow.audit("import", "targets", file_name, None, {"insurance_year": insurance_year, "rows": len(rows)})
    uow.commit()
    return list_targets(uow, principal, insurance_year)
