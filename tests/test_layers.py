"""The layer contract (pyproject.toml, ``[tool.importlinter]``) holds on the code, and breaks on a violation: a copy
of the package with one import added against the contract is refused, naming that import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "src" / "yibao"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(source: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports on the package found in ``source`` (a src folder), under the project's contract."""
    environment = os.environ | {"PYTHONPATH": str(source)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        capture_output=True,
        text=True,
        env=environment,
        cwd=source,
        check=False,
    )


def copy_with_import(tmp_path: Path, module: str, statement: str) -> Path:
    source = tmp_path / "src"
    shutil.copytree(PACKAGE, source / "yibao", ignore=shutil.ignore_patterns("__pycache__"))
    path = source / "yibao" / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text("utf-8") + f"\n{statement}\n", "utf-8")
    return source


def test_the_code_keeps_the_contract() -> None:
    result = lint_imports(PACKAGE.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "statement", "broken"),
    [
        # the domain computes; it never reaches up into the use cases
        ("domain.money", "from yibao.services import access", "yibao.domain.money -> yibao.services.access"),
        # an adapter talks to the world for the services, never calls them
        ("adapters.printing", "import yibao.services.jobs", "yibao.adapters.printing -> yibao.services.jobs"),
        # a lower stage never imports a higher one: the plans know nothing of money
        (
            "services.policy.quotes",
            "from yibao.services.money import ledger",
            "yibao.services.policy.quotes -> yibao.services.money.ledger",
        ),
        # stages on one level are independent
        (
            "services.intake.roster_import",
            "from yibao.services.money import payments",
            "yibao.services.intake.roster_import -> yibao.services.money.payments",
        ),
        # the pages share with the API only what lives in entrypoints.http
        (
            "entrypoints.web.routes",
            "from yibao.entrypoints.api import routes",
            "yibao.entrypoints.web.routes -> yibao.entrypoints.api.routes",
        ),
        # no use case depends on the invented data of the demo
        ("services.users", "from yibao.synthetic import demo", "yibao.services.users -> yibao.synthetic.demo"),
    ],
)
def test_a_violation_breaks_the_contract(tmp_path: Path, module: str, statement: str, broken: str) -> None:
    result = lint_imports(copy_with_import(tmp_path, module, statement))
    assert result.returncode == 1, result.stdout + result.stderr
    assert broken in result.stdout


def test_the_architecture_document_names_every_module() -> None:
    """docs/architecture.md lists every module of the package, by its dotted path or as `.name` in its package's row,
    so that a newcomer finds any module there (a new module without a line fails this)."""
    rows = [
        line for line in (ROOT / "docs" / "architecture.md").read_text("utf-8").splitlines() if line.startswith("| ")
    ]
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "__init__.py" or "migrations" in path.parts:
            continue
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        dotted, package, leaf = ".".join(parts), ".".join(parts[:-1]), parts[-1]
        named = any(f"`{dotted}`" in row or (f".{leaf}`" in row and f"`{package}" in row) for row in rows)
        if not named:
            missing.append(dotted)
    assert missing == []
