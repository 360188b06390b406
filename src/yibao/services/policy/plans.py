"""Use cases about the policies themselves: list, show, check a file a bureau wrote."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from yibao.adapters import policy_files
from yibao.domain.errors import YibaoError
from yibao.domain.policy import Policy
from yibao.domain.policy.checks import walk
from yibao.domain.policy.citations import Clause


@dataclass(frozen=True)
class PolicySummary:
    id: str
    name: str
    region: str
    insurance_year: int
    assumptions: int


def list_policies() -> list[PolicySummary]:
    summaries = []
    for policy_id in policy_files.bundled_ids():
        policy = policy_files.load_bundled(policy_id)
        summaries.append(
            PolicySummary(policy.id, policy.name, policy.region.name, policy.insurance_year, len(policy.assumptions))
        )
    return summaries


def get_policy(policy_id: str) -> Policy:
    return policy_files.load_bundled(policy_id)


def district_policies(district: str) -> list[Policy]:
    return [policy for policy in map(get_policy, policy_files.bundled_ids()) if policy.region.code == district]


def campaign_policy(district: str, today: date) -> Policy:
    """The district's plan for the campaign under way: the latest insurance year that has begun or is being
    enrolled for (a campaign runs in the autumn before its year)."""
    candidates = [policy for policy in district_policies(district) if policy.insurance_year <= today.year + 1]
    if not candidates:
        raise YibaoError("POLICY_NONE_FOR_DISTRICT", field="policy_id", district=district)
    return max(candidates, key=lambda policy: policy.insurance_year)


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
