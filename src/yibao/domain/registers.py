"""A 村（居）'s 登记册 in the review chain: which step it awaits, what passing a step makes of it, and the
paper = electronic check (嵩明: 经核对人款相符、纸质名册与电子名册相符后……). Pure computation.

The printed register carries its totals and a checksum of its rows, household by household; each version of the
electronic roster is kept with its checksum and its households' digests. A paper brought back is found by the
checksum printed on it, and its households are compared with the roster as it stands: a household whose people or
amounts changed since the paper was printed, one added and one taken out are each named.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from yibao.domain.states import RegisterState, ReviewStep

# Every step, in the only order a plan may use them; a plan leaves out the ones it does not prescribe.
CHAIN = (ReviewStep.TOWNSHIP_CHECK, ReviewStep.COUNTY_REVIEW, ReviewStep.DEPOSIT)
USUAL_CHAIN = (ReviewStep.TOWNSHIP_CHECK, ReviewStep.DEPOSIT)  # a plan that prescribes no chain
PASSED = {
    ReviewStep.TOWNSHIP_CHECK: RegisterState.CHECKED,
    ReviewStep.COUNTY_REVIEW: RegisterState.REVIEWED,
    ReviewStep.DEPOSIT: RegisterState.DEPOSITED,
}
QR_PREFIX = "YBDJC"  # what a scanned register's QR code begins with
CHECKSUM_DIGITS = 16  # in four groups, as a bank card's number is printed: digits alone, nothing to confuse


def chain_problem(steps: Sequence[ReviewStep]) -> str | None:
    """Why a plan's chain is not one (None if it is): the steps in the chain's order, once each, ending with the
    deposit — the money reaches the account last, whatever a plan leaves out before it."""
    if not steps or steps[-1] is not ReviewStep.DEPOSIT:
        return "须以“缴入指定账户”结束"
    if list(steps) != [step for step in CHAIN if step in steps]:
        return "步骤须按 社保所核对、医保中心复核、缴入指定账户 的顺序，各列一次"
    return None


def awaiting(steps: Sequence[ReviewStep], state: RegisterState) -> ReviewStep | None:
    """The step a register in ``state`` waits for under the plan's ``steps`` (None: finished, or returned to the
    village, whose next move is a corrected submission)."""
    if state is RegisterState.SUBMITTED:
        return steps[0]
    if state in (RegisterState.CHECKED, RegisterState.REVIEWED):
        done = ReviewStep.TOWNSHIP_CHECK if state is RegisterState.CHECKED else ReviewStep.COUNTY_REVIEW
        later = [step for step in steps if CHAIN.index(step) > CHAIN.index(done)]
        return later[0] if later else None
    return None


@dataclass(frozen=True)
class RegisterLine:
    """One person on the electronic roster: their enrollment, household, and the cash collected for them."""

    enrollment_id: int
    household_id: int
    collected_fen: int


@dataclass(frozen=True)
class HouseholdTotal:
    household_id: int
    people: int
    collected_fen: int
    digest: str  # of the household's people and amounts


def household_totals(lines: Iterable[RegisterLine]) -> dict[int, HouseholdTotal]:
    by_household: dict[int, list[RegisterLine]] = {}
    for line in lines:
        by_household.setdefault(line.household_id, []).append(line)
    totals = {}
    for household_id, members in sorted(by_household.items()):
        text = ";".join(f"{m.enrollment_id}:{m.collected_fen}" for m in sorted(members, key=lambda m: m.enrollment_id))
        digest = hashlib.sha256(f"{household_id}|{text}".encode()).hexdigest()[:16]
        totals[household_id] = HouseholdTotal(household_id, len(members), sum(m.collected_fen for m in members), digest)
    return totals


def register_checksum(number: str, households: dict[int, HouseholdTotal]) -> str:
    """The code printed on the paper: 16 digits of a digest of the register's number and every household's
    digest, in four groups (``4417-0923-8851-2046``); the same rows give the same code."""
    text = number + "|" + ",".join(f"{h.household_id}={h.digest}" for h in sorted(households.values(), key=_key))
    value = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") % 10**CHECKSUM_DIGITS
    return _grouped(f"{value:0{CHECKSUM_DIGITS}d}")


def _grouped(digits: str) -> str:
    return "-".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def _key(household: HouseholdTotal) -> int:
    return household.household_id


def qr_text(number: str, checksum: str, people: int, total_fen: int) -> str:
    """What the printed register's QR code holds: a scanner types it into the check form."""
    return f"{QR_PREFIX}|{number}|{checksum}|{people}|{total_fen}"


@dataclass(frozen=True)
class PaperCode:
    """What the clerk typed or scanned off the paper: its checksum, and the totals if the QR code gave them."""

    checksum: str
    number: str | None = None
    people: int | None = None
    total_fen: int | None = None


def read_paper_code(text: str) -> PaperCode:
    """A typed checksum (with or without the dashes and spaces) or a scanned QR text, normalized."""
    raw = text.strip()
    if raw.upper().startswith(QR_PREFIX + "|"):
        parts = raw.split("|")
        if len(parts) == 5 and parts[3].isdigit() and parts[4].lstrip("-").isdigit():
            return PaperCode(_normal(parts[2]), parts[1], int(parts[3]), int(parts[4]))
    return PaperCode(_normal(raw))


def _normal(code: str) -> str:
    """Digits as typed, grouped as printed; anything else typed is kept, so a wrong code stays wrong."""
    kept = "".join(c for c in code.upper() if c.isalnum())
    return _grouped(kept)


@dataclass(frozen=True)
class PaperDifference:
    """A household whose lines on the paper differ from the electronic roster's."""

    household_id: int
    paper_people: int
    paper_fen: int
    electronic_people: int
    electronic_fen: int

    @property
    def kind(self) -> str:
        if self.paper_people == 0:
            return "纸质名册无此户"
        if self.electronic_people == 0:
            return "电子名册无此户"
        return "人员或金额不符"


def paper_differences(printed: dict[int, HouseholdTotal], current: dict[int, HouseholdTotal]) -> list[PaperDifference]:
    """The households whose people or amounts differ between the printed version and the roster as it stands."""
    differences = []
    for household_id in sorted(set(printed) | set(current)):
        paper, electronic = printed.get(household_id), current.get(household_id)
        if paper is not None and electronic is not None and paper.digest == electronic.digest:
            continue
        differences.append(
            PaperDifference(
                household_id,
                paper.people if paper else 0,
                paper.collected_fen if paper else 0,
                electronic.people if electronic else 0,
                electronic.collected_fen if electronic else 0,
            )
        )
    return differences
