"""Request bodies of the API. Responses are the services' views (:mod:`yibao.services.registry.views`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from yibao.entrypoints.http.errors import ID_MAX
from yibao.services.access import Role

# A record's id in a request body: within what a record id can be (see http.errors.ID_MAX), so a number beyond
# every record is refused alike on both databases.
RecordId = Annotated[int, Field(ge=1, le=ID_MAX)]


class ProblemOut(BaseModel):
    code: str = Field(description="stable error code (see docs/api.md)")
    message: str = Field(description="in Chinese, for the clerk")
    message_en: str
    field: str | None
    row: int | None = Field(description="the row of a sheet or of a household's members, where there is one")


class ErrorOut(ProblemOut):
    """Every refusal: one code and message; ``problems`` where there are several (every bad row at once)."""

    problems: list[ProblemOut] | None = None


# The refusals every operation may answer, described once for the OpenAPI document: which apply depends on the
# operation (a route that reads nothing by id answers no 404), but each has the same body.
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut, "description": "TOKEN_INVALID: no token, or one expired or revoked; LOGIN_FAILED"},
    403: {"model": ErrorOut, "description": "FORBIDDEN: the role may not do this"},
    404: {"model": ErrorOut, "description": "not found — or outside the user's area, which is told the same way"},
    409: {"model": ErrorOut, "description": "a conflict with what is recorded (already enrolled, stale version …)"},
    413: {"model": ErrorOut, "description": "BODY_TOO_LARGE: the request body or upload is over the limit"},
    422: {"model": ErrorOut, "description": "the request is refused: every problem found, nothing written"},
    429: {"model": ErrorOut, "description": "LOGIN_LOCKED, LOGIN_THROTTLED: too many wrong passwords"},
    503: {"model": ErrorOut, "description": "PDF_FONT_MISSING, CROSSCHECK_ENGINE_UNAVAILABLE: not installed here"},
}


class TokenRequest(BaseModel):
    username: str
    password: str
    label: str | None = Field(None, description="what the token is for, e.g. the calling system")


class UserOut(BaseModel):
    username: str
    display_name: str
    role: Role
    role_name: str
    area_code: str
    organization_id: int | None
    permissions: list[str]


class TokenOut(BaseModel):
    token: str
    token_type: str = "bearer"
    user: UserOut


class MemberIn(BaseModel):
    id_number: str = Field(description="公民身份号码, 18 or 15 digits")
    name: str = Field(min_length=1, max_length=64)
    relation: str = Field(description="与户主关系: 户主, 配偶, 子女, 父母, 其他")
    category: str | None = Field(None, description="adult|student|child|newborn; default: from age")
    tier: str | None = Field(None, description="a tier id of the policy; default: the plan's")
    identities: list[str] = Field(default_factory=list, description="identity codes, e.g. dibao")
    identity_evidence: str | None = Field(
        None,
        max_length=100,
        description="the certificate seen for the identities claimed (低保证 …第123号); a claim stays provisional "
        "until a department's list confirms it",
    )
    phone: str | None = None
    residency: str | None = Field(
        None,
        description="local_hukou|residence_permit|permit_dependant|nonlocal; default: as on record, "
        "local_hukou for a person new to the registry",
    )


class HouseholdIn(BaseModel):
    """Register a household and enroll all of it (整户参保). The registration time is the server's clock."""

    policy_id: str | None = Field(
        None,
        description="the plan to enroll under; default: of the district's open campaigns, the one whose "
        "registration window is open, else the one whose plan takes every member that day (a newborn, a "
        "continuation)",
    )
    township_code: str
    channel: str = "village"
    village_code: str | None = None
    address: str | None = None
    household_number: str | None = None
    organization_id: RecordId | None = None
    members: list[MemberIn] = Field(min_length=1, max_length=30)


class ResidentIn(BaseModel):
    id_number: str
    name: str
    township_code: str
    village_code: str | None = None
    phone: str | None = None
    address: str | None = None
    ethnicity: str | None = None
    residency: str = "local_hukou"


class ResidentChangeIn(BaseModel):
    """Only the fields given change. Send ``expected_version`` (from the record) to avoid overwriting a colleague."""

    reason: str = Field(min_length=1, max_length=200)
    name: str | None = None
    id_number: str | None = None
    address: str | None = None
    phone: str | None = None
    township_code: str | None = None
    village_code: str | None = None
    survival_status: str | None = None
    residency: str | None = Field(None, description="local_hukou|residence_permit|permit_dependant|nonlocal")
    expected_version: int | None = None


class CancelIn(BaseModel):
    reason: str = Field(min_length=1, max_length=200)


class RenewalIn(BaseModel):
    policy_id: str
    from_year: int | None = None


class TownshipAssessmentIn(BaseModel):
    policy_id: str


class UserIn(BaseModel):
    username: str
    display_name: str
    password: str
    role: Role
    area_code: str = Field(description="district (6 or 12 digits) or township code; ignored for institution users")
    organization_id: RecordId | None = None
    department: str | None = None
