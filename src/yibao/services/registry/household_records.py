"""What the registry already knows of a household's members, read once before they are assessed: the residency on
record, and the special-group identities departments certified or earlier claims made, valid on the day.

Only the records of the clerk's own area are read: a person of another area is refused later in words that tell
nothing of their record, so nothing of it may shape the answer here either.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import or_, select

from yibao.adapters.db.tables import IdentityFlag, Resident
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain import idnumber
from yibao.domain.certification import is_certified
from yibao.domain.errors import YibaoError
from yibao.domain.vocabulary import RESIDENCY_SHORT
from yibao.services.access import Principal, person_outside

if TYPE_CHECKING:
    from yibao.services.registry.households import HouseholdEnrollment


def with_records(
    uow: UnitOfWork,
    principal: Principal,
    request: HouseholdEnrollment,
    parsed: list[idnumber.ResidentId],
    on: date,
) -> HouseholdEnrollment:
    """Each member with the residency the plan is to judge (the one on record for a known person — a different
    one typed is refused: it is changed by an information change, with its reason — the one typed for a person
    new to the registry) and the identities on record for the day, certified or claimed."""
    numbers = [resident.number for resident in parsed]
    on_record = {
        row.id_number: row
        for row in uow.session.execute(
            select(Resident.id, Resident.id_number, Resident.residency, Resident.township_code).where(
                Resident.id_number.in_(numbers)
            )
        )
        if not person_outside(principal, row.township_code)
    }
    flags: dict[int, list[tuple[str, str]]] = {}
    if on_record:
        for holder, identity, source in uow.session.execute(
            select(IdentityFlag.resident_id, IdentityFlag.identity, IdentityFlag.source).where(
                IdentityFlag.resident_id.in_([row.id for row in on_record.values()]),
                or_(IdentityFlag.valid_from.is_(None), IdentityFlag.valid_from <= on),
                or_(IdentityFlag.valid_to.is_(None), IdentityFlag.valid_to >= on),
            )
        ):
            flags.setdefault(holder, []).append((identity, source))
    members, problems = [], []
    for row, (member, resident_id) in enumerate(zip(request.members, parsed, strict=True), 1):
        known = on_record.get(resident_id.number)
        if known is None:
            members.append(member)
            continue
        if member.residency is not None and member.residency != known.residency:
            problems.append(
                YibaoError(
                    "RESIDENCY_DIFFERS",
                    field="residency",
                    row=row,
                    given=RESIDENCY_SHORT[member.residency],
                    registered=RESIDENCY_SHORT.get(known.residency, known.residency),
                )
            )
            continue
        held = flags.get(known.id, [])
        certified = tuple(sorted({identity for identity, source in held if is_certified(source)}))
        claimed = tuple(sorted({identity for identity, source in held if not is_certified(source)} - set(certified)))
        members.append(replace(member, residency=known.residency, certified=certified, claimed=claimed))
    if problems:
        raise YibaoError.all_of(problems)
    return replace(request, members=tuple(members))
