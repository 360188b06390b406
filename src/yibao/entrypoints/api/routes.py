"""Routes of /api/v1. Each parses, calls one use case, and returns its view; access is decided in the services."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from yibao.entrypoints.api.context import ApiWork
from yibao.entrypoints.api.schemas import (
    ERROR_RESPONSES,
    CancelIn,
    HouseholdIn,
    RenewalIn,
    ResidentChangeIn,
    ResidentIn,
    TokenOut,
    TokenRequest,
    TownshipAssessmentIn,
    UserIn,
    UserOut,
)
from yibao.entrypoints.http.context import Context
from yibao.services import sign_in_guard, users
from yibao.services.access import GRANTS, ROLE_NAMES, Principal
from yibao.services.policy.quotes import QuoteRequest, quote
from yibao.services.registry import changes, enrollments, residents
from yibao.services.registry import households as registry
from yibao.services.registry.areas import list_areas
from yibao.services.registry.views import (
    AreaView,
    AuditView,
    EnrolledHouseholdView,
    EnrollmentPage,
    EnrollmentView,
    HouseholdView,
    ResidentDetail,
    ResidentPage,
)

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)


def user_out(principal: Principal) -> UserOut:
    return UserOut(
        username=principal.username,
        display_name=principal.display_name,
        role=principal.role,
        role_name=ROLE_NAMES[principal.role],
        area_code=principal.area_code,
        organization_id=principal.organization_id,
        permissions=sorted(permission.value for permission in GRANTS[principal.role]),
    )


@router.post("/auth/token", tags=["auth"], summary="Sign in and get a bearer token")
def issue_token(body: TokenRequest, context: Context, request: Request) -> TokenOut:
    address = request.client.host if request.client else None
    with context.unit_of_work(body.username) as uow:
        token = users.login(uow, body.username, body.password, kind="api", label=body.label, address=address)
        principal = users.authenticate(uow, token)
    return TokenOut(token=token, user=user_out(principal))


@router.get("/me", tags=["auth"], summary="Who the token stands for, and what they may do")
def me(work: ApiWork) -> UserOut:
    return user_out(work.principal)


@router.get("/areas", tags=["reference"], summary="The district, townships and villages of the user's district")
def areas(work: ApiWork) -> list[AreaView]:
    return list_areas(work.uow, work.principal)


@router.post("/quotes", tags=["reference"], summary="What a resident would owe (nothing is stored)")
def quotes(
    work: ApiWork,
    policy_id: Annotated[str, Query()],
    id_number: Annotated[str, Query()],
    category: Annotated[str | None, Query()] = None,
    tier: Annotated[str | None, Query()] = None,
    identities: Annotated[list[str] | None, Query()] = None,
    channel: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    request = QuoteRequest(
        policy_id=policy_id,
        id_number=id_number,
        registered_at=work.uow.now,
        category=category,
        tier=tier,
        identities=tuple(identities or ()),
        channel=channel,
    )
    return quote(request, work.uow.session)


@router.get("/residents", tags=["residents"], summary="Search by ID number, name, township, village or household")
def search_residents(
    work: ApiWork,
    q: Annotated[str | None, Query(description="ID number (or its beginning) or part of a name")] = None,
    township_code: str | None = None,
    village_code: str | None = None,
    household_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=residents.MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ResidentPage:
    query = residents.SearchQuery(q, township_code, village_code, household_id, limit, offset)
    return residents.search(work.uow, work.principal, query)


@router.post("/residents", tags=["residents"], status_code=201, summary="Register a resident (no enrollment)")
def register_resident(work: ApiWork, body: ResidentIn) -> ResidentDetail:
    return residents.register_resident(work.uow, work.principal, residents.ResidentRegistration(**body.model_dump()))


@router.get("/residents/{resident_id}", tags=["residents"])
def get_resident(work: ApiWork, resident_id: int) -> ResidentDetail:
    return residents.view_resident(work.uow, work.principal, resident_id)


@router.patch("/residents/{resident_id}", tags=["residents"], summary="Change information (信息变更)")
def change_resident(work: ApiWork, resident_id: int, body: ResidentChangeIn) -> ResidentDetail:
    request = changes.ResidentChangeRequest(**body.model_dump())
    return changes.change_resident(work.uow, work.principal, resident_id, request)


@router.get("/residents/{resident_id}/history", tags=["residents"], summary="The record's audit trail")
def resident_history(work: ApiWork, resident_id: int) -> list[AuditView]:
    return residents.history(work.uow, work.principal, resident_id)


@router.post(
    "/households",
    tags=["households"],
    status_code=201,
    summary="Register and enroll a whole household (dry_run: assess it as registering would, write nothing)",
    responses={200: {"description": "dry_run: what registering would give; nothing written, its ids name nothing"}},
)
def enroll_household(
    work: ApiWork,
    body: HouseholdIn,
    response: Response,
    dry_run: Annotated[bool, Query(description="check and assess only: the preview before a clerk confirms")] = False,
) -> EnrolledHouseholdView:
    request = registry.HouseholdEnrollment(
        policy_id=body.policy_id or "",
        township_code=body.township_code,
        channel=body.channel,
        registered_at=work.uow.now,
        members=tuple(
            registry.Member(
                id_number=member.id_number,
                name=member.name,
                relation=member.relation,
                category=member.category,
                tier=member.tier,
                identities=tuple(member.identities),
                phone=member.phone,
                residency=member.residency,
                evidence=member.identity_evidence,
            )
            for member in body.members
        ),
        address=body.address,
        household_number=body.household_number,
        village_code=body.village_code,
        organization_id=body.organization_id,
    )
    if dry_run:
        response.status_code = 200
    return registry.enroll_household_view(work.uow, work.principal, request, preview=dry_run)


@router.get("/households/{household_id}", tags=["households"])
def get_household(work: ApiWork, household_id: int) -> HouseholdView:
    return residents.get_household(work.uow, work.principal, household_id)


@router.get("/enrollments", tags=["enrollments"])
def list_enrollments(
    work: ApiWork,
    insurance_year: int | None = None,
    township_code: str | None = None,
    state: str | None = None,
    limit: Annotated[int, Query(ge=1, le=residents.MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> EnrollmentPage:
    query = enrollments.EnrollmentQuery(insurance_year, township_code, state, limit, offset)
    return enrollments.list_enrollments(work.uow, work.principal, query)


@router.get("/enrollments/{enrollment_id}", tags=["enrollments"])
def get_enrollment(work: ApiWork, enrollment_id: int) -> EnrollmentView:
    return enrollments.get_enrollment(work.uow, work.principal, enrollment_id)


@router.post("/enrollments/{enrollment_id}/assess", tags=["enrollments"], summary="Assess again (not yet billed)")
def assess_enrollment(work: ApiWork, enrollment_id: int) -> EnrollmentView:
    return enrollments.assess_enrollment(work.uow, work.principal, enrollment_id)


@router.post("/enrollments/{enrollment_id}/cancel", tags=["enrollments"], summary="Cancel (no money on it)")
def cancel_enrollment(work: ApiWork, enrollment_id: int, body: CancelIn) -> EnrollmentView:
    return enrollments.cancel_enrollment(work.uow, work.principal, enrollment_id, body.reason)


@router.post("/townships/{township_code}/renewal", tags=["townships"], summary="续保: carry last year forward")
def renew_township(work: ApiWork, township_code: str, body: RenewalIn) -> enrollments.RenewalResult:
    return enrollments.renew_township(work.uow, work.principal, township_code, body.policy_id, body.from_year)


@router.post("/townships/{township_code}/assessment", tags=["townships"], summary="Assess all registered")
def assess_township(work: ApiWork, township_code: str, body: TownshipAssessmentIn) -> enrollments.BulkAssessResult:
    return enrollments.assess_township(work.uow, work.principal, township_code, body.policy_id)


@router.get("/users", tags=["users"])
def list_users(work: ApiWork) -> list[UserOut]:
    return [user_out(users.principal_of(user)) for user in users.list_users(work.uow, work.principal)]


@router.post(
    "/users/{username}/unlock",
    tags=["users"],
    status_code=204,
    summary="Lift the lock of an account locked after repeated wrong passwords",
)
def unlock_user(work: ApiWork, username: str) -> Response:
    sign_in_guard.unlock(work.uow, work.principal, username)
    return Response(status_code=204)


@router.post("/users", tags=["users"], status_code=201)
def add_user(work: ApiWork, body: UserIn) -> UserOut:
    principal = users.add_user(work.uow, users.NewUser(**body.model_dump()), by=work.principal)
    return user_out(principal)
