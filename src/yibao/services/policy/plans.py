"""The plans: the five bundled with yibao and those a bureau added to its database (``yibao policy add``, see
:mod:`yibao.services.policy.store`), found by id; listing, showing and checking them.

A stored plan is looked up through the caller's session, so it is the plan of the database the use case works
on. Its parsed form is kept per process by the sha256 of its text: a revision never changes once stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from yibao.adapters import policy_files
from yibao.adapters.policy_hash import policy_hash
from yibao.domain.errors import YibaoError
from yibao.domain.policy import Policy
from yibao.domain.policy.checks import walk
from yibao.domain.policy.citations import Clause

if TYPE_CHECKING:  # the store's table and queries are imported where a session is given (see latest_stored)
    from sqlalchemy.orm import Session

    from yibao.adapters.db.tables import StoredPolicy

_PARSED: dict[str, Policy] = {}  # sha256 of a stored revision's text -> the plan
_DIGESTS: dict[int, str] = {}  # id() of a parsed stored plan -> its sha256 (the plans in _PARSED live on)


@dataclass(frozen=True)
class PolicySummary:
    id: str
    name: str
    region: str
    insurance_year: int
    assumptions: int
    source: str = "bundled"  # bundled | stored
    revision: int | None = None  # of a stored plan


def parse_stored(row: StoredPolicy) -> Policy:
    """A stored revision's plan, parsed once per process."""
    policy = _PARSED.get(row.sha256)
    if policy is None:
        policy = policy_files.parse_text(row.yaml_text, row.file_name)
        _PARSED[row.sha256] = policy
        _DIGESTS[id(policy)] = row.sha256
    return policy


def latest_stored(session: Session, policy_id: str) -> StoredPolicy | None:
    # Imported here, not at the top: `yibao quote` on a bundled plan, with no database, never loads SQLAlchemy
    # (a third of its start).
    from sqlalchemy import select

    from yibao.adapters.db.tables import StoredPolicy

    return session.scalars(
        select(StoredPolicy).where(StoredPolicy.policy_id == policy_id).order_by(StoredPolicy.revision.desc())
    ).first()


def _latest_revisions(session: Session) -> list[StoredPolicy]:
    from sqlalchemy import select

    from yibao.adapters.db.tables import StoredPolicy

    rows = session.scalars(select(StoredPolicy).order_by(StoredPolicy.policy_id, StoredPolicy.revision)).all()
    return list({row.policy_id: row for row in rows}.values())


def get_policy(policy_id: str, session: Session | None = None) -> Policy:
    """A bundled plan, or the latest revision of a plan stored in the database of ``session``."""
    if policy_id in policy_files.bundled_ids() or session is None:
        return policy_files.load_bundled(policy_id)
    row = latest_stored(session, policy_id)
    if row is None:
        available = policy_files.bundled_ids() + [stored.policy_id for stored in _latest_revisions(session)]
        raise YibaoError("POLICY_UNKNOWN", field="policy", policy=policy_id, available=", ".join(available))
    return parse_stored(row)


def policy_digest(policy: Policy) -> str:
    """The sha256 of the text a plan was read from, frozen with every assessment made from it."""
    if policy.id in policy_files.bundled_ids():
        return policy_hash(policy.id)
    return _DIGESTS[id(policy)]


def _plans(session: Session | None) -> list[tuple[Policy, int | None]]:
    """Every plan with its stored revision (None: bundled): the bundled five, then the latest revision of each
    plan stored in the database of ``session``."""
    plans: list[tuple[Policy, int | None]] = [(policy_files.load_bundled(i), None) for i in policy_files.bundled_ids()]
    plans += [(parse_stored(row), row.revision) for row in (_latest_revisions(session) if session else [])]
    return plans


def list_policies(session: Session | None = None) -> list[PolicySummary]:
    return [
        PolicySummary(
            policy.id,
            policy.name,
            policy.region.name,
            policy.insurance_year,
            len(policy.assumptions),
            "bundled" if revision is None else "stored",
            revision,
        )
        for policy, revision in _plans(session)
    ]


def district_policies(district: str, session: Session | None = None) -> list[Policy]:
    """Every plan of a district, bundled or stored, by insurance year."""
    plans = [policy for policy, _ in _plans(session) if policy.region.code == district]
    return sorted(plans, key=lambda policy: policy.insurance_year)


def _squash(text: str) -> str:
    # Published texts wrap lines and pad digits with spaces ("2017 年 11 月"); quotations need not copy that.
    return re.sub(r"\s+", "", text)


def citation_problems(policy: Policy, documents: dict[str, str], *, source: str) -> list[YibaoError]:
    """Every quoted sentence whose document is given must occur in it, word for word (whitespace aside)."""
    squashed = {key: _squash(text) for key, text in documents.items()}
    problems = []
    for path, node in walk(policy):
        if isinstance(node, Clause) and node.document in squashed and _squash(node.text) not in squashed[node.document]:
            problems.append(
                YibaoError(
                    "POLICY_CITATION_NOT_FOUND",
                    field=path,
                    source=source,
                    document=node.document,
                    text=node.text,
                )
            )
    return problems


@dataclass(frozen=True)
class CheckReport:
    policy: Policy
    citation_problems: list[YibaoError]

    @property
    def ok(self) -> bool:
        return not self.citation_problems


def check_policy_file(path: Path, *, main_document: Path | None = None) -> CheckReport:
    """Validate a policy file; with the plan's text, also check that every quotation is really in it.

    Raises :class:`YibaoError` when the file does not load (unknown key, value without a clause, overlapping
    windows, subsidy groups without precedence, a target table that does not add up…).
    """
    policy = policy_files.load_file(path)
    documents = {"main": policy_files.read_text(main_document)} if main_document is not None else {}
    return CheckReport(policy, citation_problems(policy, documents, source=path.name))


def check_bundled(policy_id: str) -> CheckReport:
    policy = policy_files.load_bundled(policy_id)
    text = policy_files.bundled_source(policy_id)
    documents = {"main": text} if text is not None else {}
    return CheckReport(policy, citation_problems(policy, documents, source=f"{policy_id}.yaml"))
