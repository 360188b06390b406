"""The worklist as a file for village staff (核查清单): xlsx or csv, per township and village, ID numbers masked
unless the role may see them, written page by page so a province's list never sits in memory whole."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.adapters.table_files import TableColumn, table_file
from yibao.domain.errors import YibaoError
from yibao.services.access import Permission, Principal
from yibao.services.crosscheck.worklists import list_findings

PAGE = 5000
COLUMNS = (
    TableColumn("镇（街）", width=14),
    TableColumn("村（居）", width=14),
    TableColumn("姓名", width=10),
    TableColumn("公民身份号码", width=21),
    TableColumn("比对项", width=22),
    TableColumn("依据", width=48),
    TableColumn("建议处理", width=40),
    TableColumn("处理状态", width=10),
    TableColumn("说明", width=30),
)


def export_findings(
    uow: UnitOfWork,
    principal: Principal,
    insurance_year: int,
    target: Path,
    file_kind: str = "xlsx",
    *,
    kind: str | None = None,
    township_code: str | None = None,
    status: str | None = None,
    village_code: str | None = None,
) -> int:
    """Write the worklist to ``target``; returns the rows written."""
    if file_kind not in ("xlsx", "csv"):
        raise YibaoError("WORKLIST_FORMAT", field="format", value=file_kind)
    written = 0
    with table_file(target, file_kind, "核查清单", COLUMNS) as table:
        while True:
            rows = list_findings(
                uow,
                principal,
                insurance_year,
                kind=kind,
                township_code=township_code,
                status=status,
                village_code=village_code,
                limit=PAGE,
                offset=written,
            )
            if not rows:
                break
            table.write(
                pl.DataFrame(
                    [
                        (
                            row.township_name,
                            row.village_name or "",
                            row.name,
                            row.id_number,
                            row.kind_name,
                            row.evidence,
                            row.action,
                            row.status_name,
                            row.note or "",
                        )
                        for row in rows
                    ],
                    schema=[f"c{index}" for index in range(len(COLUMNS))],
                    orient="row",
                )
            )
            written += len(rows)
            if len(rows) < PAGE:
                break
    filters = {"kind": kind, "township_code": township_code, "status": status, "village_code": village_code}
    uow.audit(
        "export",
        "export",
        "findings",
        None,
        {"insurance_year": insurance_year, "format": file_kind, "rows": written, **filters}
        | {"masked": not principal.may(Permission.SEE_FULL_ID)},
    )
    uow.commit()
    return written
