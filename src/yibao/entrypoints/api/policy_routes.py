"""The plans over /api/v1: the bundled five and the district's own (listed, read whole), adding a plan or its next
revision (checked as `yibao policy add` checks it), and the district's campaigns."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from yibao.domain.errors import YibaoError
from yibao.entrypoints.api.context import ApiWork
from yibao.entrypoints.api.schemas import ERROR_RESPONSES
from yibao.entrypoints.http.uploads import uploaded_text
from yibao.services.policy.campaigns import CampaignView, close_campaign, list_campaigns, open_campaign
from yibao.services.policy.plans import get_policy, list_policies
from yibao.services.policy.store import add_policy

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)


class PolicyOut(BaseModel):
    id: str
    name: str
    region: str
    insurance_year: int
    source: str  # bundled | stored
    revision: int | None


@router.get("/policies", tags=["reference"], summary="The plans: bundled, and the district's own")
def policies(work: ApiWork) -> list[PolicyOut]:
    return [
        PolicyOut(
            id=p.id,
            name=p.name,
            region=p.region,
            insurance_year=p.insurance_year,
            source=p.source,
            revision=p.revision,
        )
        for p in list_policies(work.uow.session)
    ]


@router.get("/policies/{policy_id}", tags=["reference"], summary="A plan whole, every value with its clause")
def policy(work: ApiWork, policy_id: str) -> dict[str, Any]:
    return get_policy(policy_id, work.uow.session).model_dump(mode="json")


class PolicyAdded(BaseModel):
    policy: str
    revision: int
    sha256: str
    new_revision: bool


@router.post(
    "/policies",
    tags=["reference"],
    status_code=201,
    response_model=PolicyAdded,
    summary="Add the district's own plan, or its next revision (checked first; refused whole if anything is wrong)",
    responses={422: {"description": "the plan does not load, or a quotation is not in the document"}},
)
def add(
    work: ApiWork,
    file: Annotated[UploadFile, File(description="the plan as policy YAML (UTF-8)")],
    document: Annotated[
        UploadFile | None, File(description="the published plan's text: quotations are checked")
    ] = None,
    note: Annotated[str | None, Form(description="what this revision corrects")] = None,
) -> PolicyAdded | JSONResponse:
    text = uploaded_text(file, "file")
    if text is None:
        raise YibaoError("POLICY_UNREADABLE", field="file", source="file", problem="没有文件")
    document_text = uploaded_text(document, "document")
    added = add_policy(
        work.uow, file.filename or "policy.yaml", text, document=document_text, note=note, by=work.principal
    )
    if added.stored is None:
        problems = [problem.to_dict() for problem in added.report.citation_problems]
        first = problems[0]
        return JSONResponse(first | {"problems": problems}, status_code=422)
    stored = added.stored
    return PolicyAdded(
        policy=stored.policy_id, revision=stored.revision, sha256=stored.sha256, new_revision=added.new_revision
    )


@router.get("/campaigns", tags=["reference"], summary="The district's campaigns, and which take registrations today")
def campaigns(work: ApiWork) -> list[CampaignView]:
    return list_campaigns(work.uow, work.principal.district)


class CampaignIn(BaseModel):
    policy_id: str


@router.post("/campaigns", tags=["reference"], status_code=201, summary="Open the campaign of a plan (district admin)")
def open_(work: ApiWork, body: CampaignIn) -> CampaignView:
    return open_campaign(work.uow, work.principal, body.policy_id)


@router.post("/campaigns/{insurance_year}/close", tags=["reference"], summary="Close a campaign (district admin)")
def close(work: ApiWork, insurance_year: int) -> CampaignView:
    return close_campaign(work.uow, work.principal, work.principal.district, insurance_year)
