"""A bounded fuzzing run of the whole API (schemathesis): every operation, a fixed number of generated requests each,
as a district admin and as a township operator, on SQLite and PostgreSQL — no answer is a server error, and every
answer is one the OpenAPI document describes (status and body)."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from api_site import Site

EXAMPLES = 3  # per operation and user: the bound that keeps the suite within its time (docs/api.md)
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def test_no_server_error_and_every_answer_described(site: Site) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", site.client.app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operations += 1
        operation = result.ok()  # type: ignore[union-attr]  # an operation the schema cannot describe fails here

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        @given(case=operation.as_strategy())
        def fuzz(case: Any) -> None:
            for user in ("admin", "op_yuyang"):
                case.call_and_validate(headers={"Authorization": f"Bearer {site.tokens[user]}"}, checks=CHECKS)

        try:
            fuzz()
        except BaseException as failure:  # a group of checks failed: every operation's, reported together
            if isinstance(failure, KeyboardInterrupt):
                raise
            failures.append(f"{operation.method.upper()} {operation.path}: {str(failure)[:600]}")
    assert operations >= 70 and failures == [], "\n\n".join(failures)


def test_sequences_of_calls_as_the_state_machine_links_them(site: Site) -> None:
    """The stateful phase: operations chained through what earlier answers returned (a household registered, then
    read, changed, billed …), links inferred from the schema; no server error and every answer described."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", site.client.app)
    machine = schema.as_state_machine()
    token = site.tokens["op_yuyang"]

    class Township(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": {"Authorization": f"Bearer {token}"}}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    Township.run(
        settings=settings(
            max_examples=10,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
    )
    assert len(machine.bundles) > 0  # the schema linked operations: the phase had something to chain
