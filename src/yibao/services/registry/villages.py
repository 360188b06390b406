"""Villages and communities (村/居) from a bureau's sheet: one row each, naming its township (by name or code), its
own name, and optionally its 12-digit statistical code. Checked whole like every sheet (one problem list, an error
file); written only when no row is wrong; a village already there is left as it is, so the same sheet twice
changes nothing.

A row without a code gets the next free one of its township: communities (居委会, 社区) from 001, villages
(村委会, 村) from 200, as the statistical codes number them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select

from yibao.adapters.db.tables import Area
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.adapters.sheet_files import Sheet
from yibao.domain.errors import YibaoError, message_for
from yibao.domain.roster import ROW, Column
from yibao.services.access import Permission, Principal
from yibao.services.sheets import RowProblem, SheetReport, read_table

VILLAGE_COLUMNS = (
    Column("village", "村（居）", ("村居", "村（居）名称", "村居名称", "村委会", "居委会", "社区", "村", "名称"), True),
    Column("township", "镇（街）", ("镇街", "乡镇", "街道", "乡镇（街道）", "所属镇街", "镇"), True),
    Column("code", "统计代码", ("代码", "区划代码", "村居代码", "统计用区划代码")),
)
COMMUNITY_WORDS = ("社区", "居委会", "居民委员会", "居")


@dataclass
class VillageReport(SheetReport):
    file_name: str
    dry_run: bool
    rows: int
    created: int
    unchanged: int
    errors: int
    problems: list[RowProblem]
    sheet: Sheet = field(repr=False)
    mapping: dict[str, str] = field(repr=False)


def _problem(row: int, code: str, column: str, headers: dict[str, str], **params: object) -> RowProblem:
    zh, en = message_for(code, row=row, **params)
    return RowProblem(row, code, column, headers.get(column), zh, en)


def import_villages(
    uow: UnitOfWork,
    principal: Principal | None,
    file_name: str,
    content: bytes,
    *,
    district: str,
    dry_run: bool = False,
) -> VillageReport:
    """``principal`` None: the server's operator, for ``district``."""
    if principal is not None:
        principal.require(Permission.MANAGE_AREAS)
        district = principal.district
    sheet, mapping = read_table(content, file_name, VILLAGE_COLUMNS)
    column = {key: header for header, key in mapping.items()}  # column key -> the sheet's header
    townships = uow.session.scalars(select(Area).where(Area.level == "township", Area.code.startswith(district))).all()
    by_name = {area.name: area for area in townships} | {area.code: area for area in townships}
    known = uow.session.scalars(select(Area).where(Area.level == "village", Area.code.startswith(district))).all()
    taken = {area.code for area in known}
    existing = {(area.parent_code, area.name) for area in known}
    problems: list[RowProblem] = []
    new: list[Area] = []
    unchanged = 0
    for row in sheet.frame.iter_rows(named=True):
        number = int(row[ROW])
        name = " ".join(str(row.get(column["village"]) or "").split())
        township_given = str(row.get(column["township"]) or "").strip()
        code = str(row.get(column["code"]) or "").strip() if "code" in column else ""
        township = by_name.get(township_given)
        if not name:
            problems.append(_problem(number, "VILLAGE_NAME_REQUIRED", "village", column))
        if township is None:
            problems.append(
                _problem(number, "TOWNSHIP_UNKNOWN", "township", column, township=township_given or "（空）")
            )
        if code and (not re.fullmatch(r"\d{12}", code) or (township is not None and code[:9] != township.code[:9])):
            where = township.name if township is not None else township_given
            problems.append(_problem(number, "VILLAGE_CODE_INVALID", "code", column, value=code, township=where))
        if not name or township is None or (code and problems and problems[-1].row == number):
            continue
        if (township.code, name) in existing:
            unchanged += 1
            continue
        if code and code in taken:
            problems.append(_problem(number, "VILLAGE_CODE_TAKEN", "code", column, value=code))
            continue
        code = code or _next_code(number, township.code, name, taken)
        taken.add(code)
        existing.add((township.code, name))
        new.append(Area(code=code, name=name, level="village", parent_code=township.code))
    errors = len({problem.row for problem in problems})
    report = VillageReport(
        file_name, dry_run, sheet.rows, 0 if problems else len(new), unchanged, errors, problems, sheet, mapping
    )
    if problems or dry_run or not new:
        return report
    uow.session.add_all(new)
    uow.session.flush()
    uow.audit("import", "villages", district, None, {"file_name": file_name, "created": len(new)})
    uow.commit()
    return report


def _next_code(row: int, township_code: str, name: str, taken: set[str]) -> str:
    start = 1 if any(word in name for word in COMMUNITY_WORDS) else 200
    prefix = township_code[:9]
    for number in range(start, 1000):
        code = f"{prefix}{number:03d}"
        if code not in taken:
            return code
    raise YibaoError("VILLAGE_CODE_TAKEN", field="code", row=row, value=f"{prefix}…")


def rename_village(uow: UnitOfWork, principal: Principal, code: str, name: str) -> Area:
    """Correct a village's or community's name (a typo in the sheet, a renaming); its code, and so every resident
    and household that names it, stays."""
    principal.require(Permission.MANAGE_AREAS)
    name = " ".join(name.split())
    if not name:
        raise YibaoError("VILLAGE_NAME_REQUIRED", field="name", row=1)
    village = uow.session.get(Area, code)
    if village is None or village.level != "village" or code[:6] != principal.district:
        raise YibaoError("VILLAGE_UNKNOWN", field="code", township=code[:9] + "000", area=code)
    taken = uow.session.scalars(
        select(Area.code).where(Area.parent_code == village.parent_code, Area.name == name, Area.code != code)
    ).first()
    if taken is not None:
        raise YibaoError("VILLAGE_NAME_TAKEN", field="name", name=name)
    before = {"name": village.name}
    village.name = name
    uow.audit("rename", "area", code, before, {"name": name})
    uow.commit()
    return village
