"""Progress of long work on the terminal: a Rich bar per step on a terminal, one plain line as each step starts
and ends otherwise (a log file, another program reading the output)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from yibao.entrypoints.cli.output import error_console


@contextmanager
def progress_bar(*, quiet: bool = False) -> Iterator[Callable[[str, int, int], None]]:
    """``quiet`` (e.g. with --json) keeps the bar off; plain lines still go to stderr when it is not a terminal."""
    live = not quiet and error_console.is_terminal
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=error_console,
        disable=not live,
    ) as bar:
        tasks: dict[str, TaskID] = {}
        tenths: dict[str, int] = {}

        def report(step: str, done: int, total: int) -> None:
            if not live:  # a line as each step starts, at each further tenth of it, and as it ends
                tenth = 10 * done // total if total else 10
                if step not in tenths or tenth > tenths[step]:
                    print(f"{step} {done}/{total}", file=sys.stderr, flush=True)
                    tenths[step] = tenth
                return
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=max(total, 1))
            bar.update(tasks[step], completed=done, total=max(total, 1))

        yield report
