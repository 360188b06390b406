"""Errors over HTTP: every refusal is ``{code, message, message_en, field, row}`` with a fitting status."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from yibao.domain.errors import YibaoError

STATUS: dict[str, int] = {
    "TOKEN_INVALID": 401,
    "LOGIN_FAILED": 401,
    "LOGIN_FORM_STALE": 400,
    "LOGIN_LOCKED": 429,
    "LOGIN_THROTTLED": 429,
    "FORBIDDEN": 403,
    "RESIDENT_NOT_FOUND": 404,
    "ENROLLMENT_NOT_FOUND": 404,
    "HOUSEHOLD_NOT_FOUND": 404,
    "POLICY_UNKNOWN": 404,
    "SIMULATION_UNKNOWN": 404,
    "SIMULATION_PERSONS_GONE": 404,
    "JOB_NOT_FOUND": 404,
    "NOTICE_NOT_FOUND": 404,
    "PAYMENT_NOT_FOUND": 404,
    "PAYMENT_CONFLICT": 409,
    "NOTICE_VOID": 409,
    "PAYMENT_NOT_REVERSIBLE": 409,
    "PDF_FONT_MISSING": 503,
    "STATEMENT_NOT_FOUND": 404,
    "LINE_NOT_FOUND": 404,
    "LINE_NOT_OPEN": 409,
    "JOB_NO_FILE": 409,
    "ALREADY_ENROLLED": 409,
    "RESIDENT_EXISTS": 409,
    "RESIDENT_NAME_MISMATCH": 409,
    "ID_NUMBER_TAKEN": 409,
    "RESIDENT_ELSEWHERE": 409,
    "ENROLLED_ELSEWHERE": 409,
    "RESIDENT_NAME_DIFFERS": 409,
    "REASON_ELSEWHERE": 409,
    "USERNAME_TAKEN": 409,
    "USER_UNKNOWN": 404,
    "TOKEN_UNKNOWN": 404,
    "USER_CHANGE_SELF": 409,
    "STALE_RECORD": 409,
    "ENROLLMENT_STATE": 409,
    "FINDING_NOT_FOUND": 404,
    "REASON_NOT_FOUND": 404,
    "REASON_ALREADY_ENROLLED": 409,
    "CROSSCHECK_ENGINE_UNAVAILABLE": 503,
    "INTERNAL_ERROR": 500,
    "PAGE_NOT_FOUND": 404,
    "BODY_TOO_LARGE": 413,
    "METHOD_NOT_ALLOWED": 405,
    "REGISTER_NOT_FOUND": 404,
    "REGISTER_PERSON_ELSEWHERE": 409,
    "REGISTER_STATE": 409,
    "REGISTER_SAME_REVIEWER": 409,
}


ID_MAX = 2**31 - 1  # record ids are 32-bit integers on PostgreSQL (and no SQLite table grows past them)


def ids_in_range(request: Request) -> None:
    """Every id in a path or query (``…_id``, ``id``) within what a record id can be: beyond it no record exists,
    and each database would refuse the query in its own way (SQLite past 2^63, PostgreSQL past 2^31). Checked
    here once for every route, so both answer the same 422."""
    for source in (request.path_params, request.query_params):
        for key, value in source.items():
            if (key == "id" or key.endswith("_id")) and str(value).isdigit() and int(value) > ID_MAX:
                raise YibaoError("VALUE_OUT_OF_RANGE", field=key)


def status_for(error: YibaoError) -> int:
    return STATUS.get(error.code, 422)


def yibao_error_response(error: YibaoError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status_for(error) == 401 else None
    return JSONResponse(error.to_dict(), status_code=status_for(error), headers=headers)


def request_error(error: RequestValidationError) -> YibaoError:
    first = error.errors()[0] if error.errors() else {"loc": ("body",), "msg": "invalid"}
    location = [str(part) for part in first["loc"] if part not in ("body", "query", "path")]
    field = ".".join(location) or "body"
    return YibaoError("REQUEST_INVALID", field=field, problem=first["msg"])


def install(app: FastAPI) -> None:
    """A malformed request is REQUEST_INVALID. (YibaoError itself is handled by the server, which answers pages
    with a page and the API with JSON.)"""

    async def on_validation_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return yibao_error_response(request_error(error))

    app.add_exception_handler(RequestValidationError, on_validation_error)
