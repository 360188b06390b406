"""Printing for the CLI: JSON for scripts, Rich for people, and errors as code + Chinese message."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any, NoReturn

import typer
from rich.console import Console

from yibao.domain.errors import YibaoError
from yibao.domain.money import format_yuan
from yibao.domain.timeutil import parse_instant

# Piped output (a file, a test, another program) gets wide lines instead of clipped clauses.
console = Console(width=None if sys.stdout.isatty() else 200)
error_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def instant_option(value: str | None, field: str, as_json: bool) -> datetime | None:
    """An option given as a moment (ISO 8601; no offset is Shanghai), or DATETIME_INVALID."""
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError:
        fail(YibaoError("DATETIME_INVALID", field=field, value=value), as_json=as_json)


def fail(error: YibaoError, *, as_json: bool) -> NoReturn:
    if as_json:
        sys.stdout.write(json.dumps({"error": error.to_dict()}, ensure_ascii=False) + "\n")
    error_console.print(f"[bold red]错误[/] [{error.code}] {error.message}", highlight=False)
    error_console.print(f"[dim]{error.message_en}[/]", highlight=False)
    raise typer.Exit(code=2)


def yuan(fen: int | None) -> str:
    return "—" if fen is None else f"{format_yuan(fen)} 元"
