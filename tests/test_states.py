"""Typed states: every state and kind is one enum in ``yibao.domain.states``; the database's check constraints are
built from them and say the same; no use case, page or command writes a state as a bare string; and every error
code the code raises is in the catalog."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from yibao.domain.error_catalog import CATALOG
from yibao.domain.states import (
    ALL_STATES,
    EnrollmentState,
    FindingStatus,
    OrganizationKind,
    PaymentKind,
    SignInOutcome,
    State,
    StatementLineState,
)

PACKAGE = Path(__file__).parent.parent / "src" / "yibao"
STATES_MODULE = PACKAGE / "domain" / "states.py"
MIGRATIONS = PACKAGE / "adapters" / "db" / "migrations"
# The attributes and keys that hold a state or kind: a literal compared with, assigned to or given as one of these
# is a state written by hand.
STATE_KEYS = {"state", "kind", "status", "reason", "enrolled_state"}
# Codes that name nothing else in the code base: a bare literal of one of these is a state wherever it stands.
DISTINCT = {
    "notified",
    "already_recorded",
    "duplicate_line",
    "no_such_notice",
    "amount_differs",
    "reason_recorded",
    "not_applicable",
    "interrupted",
    "succeeded",
    "queued",
    "contacted",
}
CODES = {code for states in ALL_STATES for code in states.codes()}


def python_files() -> Iterator[Path]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if path != STATES_MODULE and MIGRATIONS not in path.parents:
            yield path


def _key(node: ast.AST) -> str | None:
    """The state key an expression names: ``x.state``, ``state``, ``row["state"]``, ``pl.col("state")``."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return str(node.slice.value)
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "col":
            return str(node.args[0].value)
    return None


def _literals(node: ast.AST) -> Iterator[ast.Constant]:
    """String constants of ``node``, itself or the items of a tuple, list or set literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    elif isinstance(node, ast.Tuple | ast.List | ast.Set):
        for item in node.elts:
            yield from _literals(item)


def stray_state_literals(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, code) of each state code written as a bare string where a state is meant."""
    for node in ast.walk(tree):
        found: list[ast.Constant] = []
        if isinstance(node, ast.Constant) and node.value in DISTINCT:
            found.append(node)
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_key(side) in STATE_KEYS for side in sides):
                found += [c for side in sides for c in _literals(side)]
        elif (isinstance(node, ast.Assign) and any(_key(target) in STATE_KEYS for target in node.targets)) or (
            isinstance(node, ast.keyword) and node.arg in STATE_KEYS
        ):
            found += list(_literals(node.value))
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in STATE_KEYS:
                    found += list(_literals(value))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("in_", "is_in"):
            found += [c for argument in node.args for c in _literals(argument)]
        elif (  # pl.lit("x").alias("state")
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "alias"
            and node.args
            and _key(ast.Subscript(value=ast.Name("_"), slice=node.args[0])) in STATE_KEYS
            and isinstance(node.func.value, ast.Call)
        ):
            found += [c for argument in node.func.value.args for c in _literals(argument)]
        yield from ((c.lineno, str(c.value)) for c in found if c.value in CODES)


TEMPLATE_STATE = re.compile(r"""\.(?:state|kind|status)(?:\.value)?\s*(?:==|!=|in)\s*[(\[]?\s*["']([a-z_]+)["']""")


def test_no_state_is_written_as_a_bare_string() -> None:
    strays = [
        f"{path.relative_to(PACKAGE)}:{line} {code!r}"
        for path in python_files()
        for line, code in stray_state_literals(ast.parse(path.read_text("utf-8")))
    ]
    for template in sorted((PACKAGE / "entrypoints" / "web" / "templates").glob("*.html")):
        for number, line in enumerate(template.read_text("utf-8").splitlines(), 1):
            strays += [f"{template.name}:{number} {code!r}" for code in TEMPLATE_STATE.findall(line) if code in CODES]
    assert strays == [], "states written as bare strings; use yibao.domain.states"


def test_the_search_finds_what_it_looks_for() -> None:
    """The search above would see each way a state can be written by hand (else it could pass on anything)."""
    written = """
if enrollment.state == "paid": pass
enrollment.state = "cancelled"
Payment(kind="refund")
rows = {"status": "open"}
query.where(Enrollment.state.in_(("assessed", "effective")))
frame.with_columns(pl.lit("matched").alias("state"))
frame.filter(pl.col("kind") != "reversal")
label = "no_such_notice"
"""
    found = sorted(code for _line, code in stray_state_literals(ast.parse(written)))
    assert found == sorted(
        ["paid", "cancelled", "refund", "open", "assessed", "effective", "matched", "reversal", "no_such_notice"]
    )
    assert TEMPLATE_STATE.findall('{% if e.state == "effective" %}') == ["effective"]


def test_every_state_has_a_chinese_name_and_a_distinct_code() -> None:
    for states in ALL_STATES:
        assert len(set(states.codes())) == len(states)
        for state in states:
            assert re.fullmatch(r"[a-z_]+", state.code)
            assert re.search(r"[\u4e00-\u9fff]", state.zh), state
            assert states(state.code) is state


CONSTRAINED: list[tuple[str, str, type[State]]] = [
    ("enrollments", "state", EnrollmentState),
    ("payments", "kind", PaymentKind),
    ("statement_lines", "state", StatementLineState),
    ("findings", "status", FindingStatus),
    ("organizations", "kind", OrganizationKind),
    ("sign_in_attempts", "outcome", SignInOutcome),
]


def _constraint_text(engine: Engine, table: str, column: str) -> str:
    name = f"ck_{table}_{column}"
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            sql = connection.scalar(
                text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": table}
            )
            match = re.search(rf"CONSTRAINT {name} CHECK \((.*?)\)(?:,|\s*\))", str(sql), re.S)
            assert match, sql
            return match.group(1)
        definition = connection.scalar(
            text("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = :name"), {"name": name}
        )
        assert definition, name
        return str(definition)


@pytest.mark.parametrize(("table", "column", "states"), CONSTRAINED)
def test_check_constraints_in_the_database_allow_exactly_the_enum(
    engine: Engine, table: str, column: str, states: type[State]
) -> None:
    """The migrations wrote the constraints; the tables' metadata builds them from the enums: both must agree."""
    allowed = set(re.findall(r"'([a-z_]+)'", _constraint_text(engine, table, column)))
    assert allowed == set(states.codes())


ERROR_CODE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")


def _environment_names(tree: ast.AST) -> set[str]:
    """Names of environment variables (``os.environ.get("X")``, ``os.environ["X"]``, ``"X" in os.environ``,
    ``envvar="X"``), not errors."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "envvar" and isinstance(node.value, ast.Constant):
            names.add(str(node.value.value))  # typer.Option(envvar=…)
        if (  # "X" in os.environ
            isinstance(node, ast.Compare)
            and isinstance(node.left, ast.Constant)
            and any(isinstance(c, ast.Attribute) and c.attr == "environ" for c in node.comparators)
        ):
            names.add(str(node.left.value))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target, arguments = node.func.value, node.args
        elif isinstance(node, ast.Subscript):
            target, arguments = node.value, [node.slice]
        else:
            continue
        if isinstance(target, ast.Attribute) and target.attr == "environ":
            names |= {str(a.value) for a in arguments if isinstance(a, ast.Constant)}
    return names


def test_every_error_code_in_the_code_is_in_the_catalog() -> None:
    """Every upper-case code the code raises or reports (YibaoError, the sheets' row checks …) has its message."""
    used: dict[str, str] = {}
    for path in python_files():
        if path.name == "error_catalog.py":
            continue
        tree = ast.parse(path.read_text("utf-8"))
        environment = _environment_names(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and ERROR_CODE.fullmatch(node.value)
                and node.value not in environment
            ):
                used.setdefault(node.value, f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert len(used) > 100  # the search finds the codes at all
    missing = {code: where for code, where in used.items() if code not in CATALOG}
    assert missing == {}
