"""An information change after payment (宁河, found by the boundary probe: a township's clerk moved a paid person to
another township; the answer was 404 but the change was committed). Now the change and its answer agree: it is
committed and answered with the record as changed; the paid enrollment keeps its money and amount; the clerk no
longer finds the person, the new township does; and a change refused in part commits nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine, select

from principals import operator
from test_simulation import LUTAI, NINGHE, NINGHE_CLOCK, QIAOBEI, ninghe_district
from yibao.adapters.db.database import session_factory
from yibao.adapters.db.tables import Enrollment, Resident, ResidentChange
from yibao.adapters.db.unit_of_work import UnitOfWork
from yibao.domain import idnumber
from yibao.domain.states import COVERED_ENROLLMENTS
from yibao.services.access import Role
from yibao.services.money.payments import PaymentRequest, record_payment
from yibao.services.users import NewUser, add_user, login


def test_a_paid_person_moved_by_the_clerk_is_answered_and_committed_alike(engine: Engine, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from yibao.entrypoints.http.context import AppContext
    from yibao.entrypoints.server import create_app

    ninghe_district(engine)
    head = idnumber.make(NINGHE, date(1970, 3, 1), 11)
    with UnitOfWork(session_factory(engine), actor="lutai", now=NINGHE_CLOCK) as work:
        resident_id, enrollment_id, due = work.session.execute(
            select(Resident.id, Enrollment.id, Enrollment.individual_due_fen)
            .join(Enrollment, Enrollment.resident_id == Resident.id)
            .where(Resident.id_number == head)
        ).one()
        assert due is not None
        record_payment(
            work, operator(LUTAI), PaymentRequest("counter_cash", due, NINGHE_CLOCK, enrollment_id=enrollment_id)
        )
        for username, township in (("lutai", LUTAI), ("qiaobei", QIAOBEI)):
            add_user(work, NewUser(username, username, "change-2022-xy", Role.TOWNSHIP_OPERATOR, township), by=None)
        tokens = {name: login(work, name, "change-2022-xy", kind="api") for name in ("lutai", "qiaobei")}
    context = AppContext(session_factory(engine), clock=lambda: NINGHE_CLOCK, data_dir=tmp_path / "data")
    as_ = {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}
    with TestClient(create_app(context)) as client:
        url = f"/api/v1/residents/{resident_id}"
        move = {"reason": "户籍迁入桥北街道", "phone": "13812345678", "township_code": QIAOBEI}
        changed = client.patch(url, json=move, headers=as_["lutai"])
        assert changed.status_code == 200, changed.text
        assert changed.json()["phone"] == "13812345678" and changed.json()["township_code"] == QIAOBEI
        assert client.get(url, headers=as_["lutai"]).status_code == 404  # from now on, not hers to find
        theirs = client.get(url, headers=as_["qiaobei"])
        assert theirs.status_code == 200 and theirs.json()["phone"] == "13812345678"
        # A change refused in part (a phone that is no phone) writes nothing, not even the valid address.
        refused = client.patch(
            url, json={"reason": "更正", "address": "桥北街道新村1号", "phone": "12345"}, headers=as_["qiaobei"]
        )
        assert refused.status_code == 422 and refused.json()["code"] == "PHONE_INVALID"
    with UnitOfWork(session_factory(engine), actor="check", now=NINGHE_CLOCK) as work:
        resident = work.session.get(Resident, resident_id)
        assert resident is not None and resident.address != "桥北街道新村1号"
        kinds = set(work.session.scalars(select(ResidentChange.kind).where(ResidentChange.resident_id == resident_id)))
        assert kinds == {"phone", "township_transfer"}
        enrollment = work.session.get(Enrollment, enrollment_id)
        assert enrollment is not None
        assert enrollment.state in COVERED_ENROLLMENTS and enrollment.individual_due_fen == due  # money kept
