"""Plan what-if reports (测算报告): what a draft plan would raise, kept as dated reports to reopen and compare.

The totals live here; the person-by-person rows, which may be a million, in a Parquet file beside the jobs'
files (``persons_file``), read only when someone drills down to a list of persons.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from yibao.adapters.db.base import Base, Instant


class Simulation(Base):
    """One run of a draft plan over a base campaign's people: its question, its assumptions and its answer."""

    __tablename__ = "simulations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_code: Mapped[str] = mapped_column(String(6))
    draft_policy_id: Mapped[str] = mapped_column(String(80))
    draft_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the draft's text: a revision is another draft
    draft_name: Mapped[str] = mapped_column(String(200))
    base_year: Mapped[int] = mapped_column(Integer)
    base_policy_id: Mapped[str] = mapped_column(String(80))
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the question as asked
    assumptions: Mapped[list[str]] = mapped_column(JSON, default=list)  # every assumption, in Chinese
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # see yibao.domain.simulation.summarize
    persons_file: Mapped[str] = mapped_column(String(200))  # relative to the data directory
    created_at: Mapped[datetime] = mapped_column(Instant())
    actor: Mapped[str] = mapped_column(String(64))
    __table_args__ = (Index("ix_simulations_district_created", "district_code", "created_at"),)
