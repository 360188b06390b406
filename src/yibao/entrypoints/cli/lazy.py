"""Commands loaded when they run, not when `yibao` starts: the top-level group knows each command's name, module
and one-line help, and imports the module only to run the command (or to show that command's own help). So
`yibao --help` costs Typer and Rich alone — not FastAPI, DuckDB, SQLAlchemy, Polars and fpdf, which every command
module together would import (3–5 s of CPU before). Click documents this pattern ("lazily loading subcommands");
this is it for a Typer group.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
from typer import _click as click  # Typer 0.29 carries its own Click: its groups take its Context and Command
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class Lazy:
    """A command of the top-level group: the module that defines it, the attribute (a Typer app for a group of
    commands, a function for one command), and the help line `yibao --help` shows without importing it."""

    module: str
    attribute: str
    help: str


class LazyGroup(TyperGroup):
    """The top-level group: its commands are :data:`COMMANDS`, imported one at a time as they are used."""

    commands_by_name: ClassVar[dict[str, Lazy]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listing = False  # while the group's own help is written: name and help line, no import

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *(name for name in self.commands_by_name if name not in self.commands)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in self.commands_by_name:
            return super().get_command(ctx, cmd_name)
        lazy = self.commands_by_name[cmd_name]
        if self._listing:
            return TyperCommand(cmd_name, help=lazy.help)
        command = load(cmd_name, lazy)
        self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def load(name: str, lazy: Lazy) -> click.Command:
    """The click command of one entry: the Typer app's group, or a one-command app around the function."""
    target = getattr(importlib.import_module(lazy.module), lazy.attribute)
    if isinstance(target, typer.Typer):
        group = typer.main.get_group(target)
        group.name = name
        return group
    single = typer.Typer(pretty_exceptions_enable=False)
    single.command(name)(target)
    command = typer.main.get_command(single)
    command.name = name
    return command
