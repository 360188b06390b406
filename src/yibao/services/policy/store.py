"""The policy store: a bureau's own plans — next year's, a corrected one — added to its database and found by
every command, page and API call by id, beside the five bundled with yibao.

A plan is checked as ``yibao policy check`` checks it (the model, the figures against their sentences, the
dates against the insurance year, every quotation against the published text when it is given) and stored only
if nothing is wrong. Each revision is kept whole and never changed; adding a corrected file under the same id
makes a new revision, which the next assessment uses, while the enrollments already assessed keep the sha256 of
the revision their figures came from (:func:`assessed_under_earlier_revisions` lists those not yet billed, to
re-assess).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from yibao.adapters import policy_files
from yibao.adapters.db.tables import Enrollment, StoredPolicy
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain.errors import YibaoError
from yibao.domain.states import REASSESSABLE_ENROLLMENTS
from yibao.services.access import Permission, Principal
from yibao.services.policy.plans import CheckReport, citation_problems, latest_stored, parse_stored


@dataclass(frozen=True)
class StoredPlanView:
    policy_id: str
    revision: int
    name: str
    region_code: str
    insurance_year: int
    sha256: str
    file_name: str
    note: str | None
    added_at: datetime
    actor: str
    has_document: bool


def _view(row: StoredPolicy) -> StoredPlanView:
    return StoredPlanView(
        row.policy_id,
        row.revision,
        row.name,
        row.region_code,
        row.insurance_year,
        row.sha256,
        row.file_name,
        row.note,
        row.added_at,
        row.actor,
        row.document_text is not None,
    )


@dataclass(frozen=True)
class Added:
    report: CheckReport  # what the check found; nothing is stored unless it is ok
    stored: StoredPlanView | None
    new_revision: bool  # False: the same text as the latest revision, nothing added


def check_plan(file_name: str, text: str, *, document: str | None = None, by: Principal | None) -> CheckReport:
    """What ``yibao policy add`` checks before it stores anything: the plan loads (the model, its figures against
    their sentences, its dates against its year), its id is its own, it is the district's, and, with the
    published text, every quotation is in it. Raises for the first four; the quotations come in the report."""
    if by is not None:
        by.require(Permission.MANAGE_POLICIES)
    policy = policy_files.parse_text(text, file_name)
    if policy.id in policy_files.bundled_ids():
        raise YibaoError("POLICY_ID_BUNDLED", field="id", policy=policy.id)
    if by is not None and policy.region.code != by.district and by.district not in policy.region.former_codes:
        raise YibaoError(
            "POLICY_OTHER_DISTRICT", field="region", policy=policy.id, region=policy.region.name, township=by.district
        )
    documents = {"main": document} if document is not None else {}
    return CheckReport(policy, citation_problems(policy, documents, source=file_name))


def add_policy(
    uow: UnitOfWork,
    file_name: str,
    text: str,
    *,
    document: str | None = None,
    note: str | None = None,
    by: Principal | None,
) -> Added:
    """Check a plan and store it as the next revision of its id. ``by`` is None for the server's operator at the
    command line; a district admin may add only plans of their own district."""
    report = check_plan(file_name, text, document=document, by=by)
    policy = report.policy
    if not report.ok:
        return Added(report, None, False)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    latest = latest_stored(uow.session, policy.id)
    if latest is not None and latest.sha256 == digest:
        return Added(report, _view(latest), False)
    row = StoredPolicy(
        policy_id=policy.id,
        revision=1 if latest is None else latest.revision + 1,
        name=policy.name,
        region_code=policy.region.code,
        insurance_year=policy.insurance_year,
        yaml_text=text,
        document_text=document,
        sha256=digest,
        file_name=file_name,
        note=(note or "").strip()[:200] or None,
        added_at=uow.now,
        actor=uow.actor,
    )
    uow.session.add(row)
    uow.session.flush()
    before = None if latest is None else {"revision": latest.revision, "sha256": latest.sha256}
    uow.audit("add", "policy", policy.id, before, {"revision": row.revision, "sha256": digest, "note": row.note})
    uow.commit()
    parse_stored(row)
    return Added(report, _view(row), True)


def stored_revisions(uow: UnitOfWork, policy_id: str | None = None) -> list[StoredPlanView]:
    """Every stored revision (of one plan), oldest first."""
    query = select(StoredPolicy).order_by(StoredPolicy.policy_id, StoredPolicy.revision)
    if policy_id is not None:
        query = query.where(StoredPolicy.policy_id == policy_id)
    return [_view(row) for row in uow.session.scalars(query)]


def stored_text(uow: UnitOfWork, policy_id: str, revision: int | None = None) -> tuple[str, str | None]:
    """A stored revision's YAML text and the published text it quotes (the latest revision by default)."""
    query = select(StoredPolicy).where(StoredPolicy.policy_id == policy_id)
    if revision is not None:
        query = query.where(StoredPolicy.revision == revision)
    row = uow.session.scalars(query.order_by(StoredPolicy.revision.desc())).first()
    if row is None:
        raise YibaoError("POLICY_UNKNOWN", field="policy", policy=policy_id, available="（已存储的方案）")
    return row.yaml_text, row.document_text


def assessed_under_earlier_revisions(uow: UnitOfWork, policy_id: str) -> dict[str, int]:
    """Enrollments not yet billed whose figures came from an earlier revision than the latest: sha256 -> how
    many. A district re-assesses them (``yibao`` renews and assesses with the latest) or leaves them be."""
    latest = latest_stored(uow.session, policy_id)
    if latest is None:
        return {}
    rows = uow.session.execute(
        select(Enrollment.policy_hash, func.count())
        .where(
            Enrollment.policy_id == policy_id,
            Enrollment.policy_hash != latest.sha256,
            Enrollment.state.in_(REASSESSABLE_ENROLLMENTS),
        )
        .group_by(Enrollment.policy_hash)
    ).all()
    return {digest: count for digest, count in rows}
