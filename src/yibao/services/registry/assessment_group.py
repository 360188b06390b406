"""Small assessments from concurrent requests, run through the engine together.

The engine's cost for a counter household is almost all fixed (some thirty steps to plan and run, whatever the
number of rows): four households in one run cost little more than one. A server process answers requests on
several threads; each hands its rows to one engine thread, which takes everything queued since its last run and
assesses it as one frame per policy, the way a database groups commits. A request that comes alone waits for no
one; under load, each run serves all the requests that arrived while the previous run was busy.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from yibao.domain.policy import Policy

Row = dict[str, Any]
Run = Callable[[Policy, list[Any]], list[Row]]


@dataclass
class _Ticket:
    policy: Policy
    inputs: list[Any]
    done: threading.Event = field(default_factory=threading.Event)
    results: list[Row] = field(default_factory=list)
    error: BaseException | None = None


class AssessmentGroup:
    """Hands each caller's rows to one engine thread and returns that caller's results, in order."""

    def __init__(self, run: Run) -> None:
        self._run = run
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[_Ticket] = queue.SimpleQueue()
        self._owner_pid: int | None = None

    def assess(self, policy: Policy, inputs: list[Any]) -> list[Row]:
        ticket = _Ticket(policy, inputs)
        self._started().put(ticket)
        ticket.done.wait()
        if ticket.error is not None:
            raise ticket.error
        return ticket.results

    def _started(self) -> queue.SimpleQueue[_Ticket]:
        # Started on first use, and again in a forked child: a thread does not survive a fork.
        with self._lock:
            if self._owner_pid != os.getpid():
                self._queue = queue.SimpleQueue()
                threading.Thread(target=self._serve, args=(self._queue,), name="yibao-assess", daemon=True).start()
                self._owner_pid = os.getpid()
            return self._queue

    def _serve(self, tickets: queue.SimpleQueue[_Ticket]) -> None:
        while True:
            batch = [tickets.get()]
            while not tickets.empty():
                batch.append(tickets.get_nowait())
            by_policy: dict[int, list[_Ticket]] = {}
            for ticket in batch:
                by_policy.setdefault(id(ticket.policy), []).append(ticket)
            for group in by_policy.values():
                self._answer(group)

    def _answer(self, group: list[_Ticket]) -> None:
        try:
            results = self._run(group[0].policy, [item for ticket in group for item in ticket.inputs])
        except Exception as error:
            if len(group) == 1:
                group[0].error = error
            else:
                # One caller's rows broke the run: answer each alone, so only that caller sees the error.
                for ticket in group:
                    self._answer([ticket])
                return
        else:
            start = 0
            for ticket in group:
                ticket.results = results[start : start + len(ticket.inputs)]
                start += len(ticket.inputs)
        for ticket in group:
            ticket.done.set()
