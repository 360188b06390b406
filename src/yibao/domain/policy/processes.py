"""How the plan says the campaign is worked, beyond its amounts: how often progress is reported, the form for
registering who does not enroll, and the review chain a village's roster goes through before its money reaches
the account."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, field_validator

from yibao.domain.policy.citations import Cited
from yibao.domain.registers import USUAL_CHAIN, chain_problem
from yibao.domain.states import ReviewStep


class Reporting(Cited):
    """How often units report progress (宁河: 每周; 滕州: 一天一调度一通报), from when."""

    frequency: Literal["daily", "weekly"]
    starts: date | None = None


class ReasonRegister(Cited):
    """The form the plan names for registering who does not enroll and why (滕州: 《滕州市居民基本医疗保险未参保原因
    登记表》, kept by each 居委, summed by the street, signed and stamped)."""

    title: str = Field(min_length=4, description="the form's name as the plan writes it, without 《》")


class ReviewChain(Cited):
    """The steps a 村（居）'s 登记册 goes through after its submission (嵩明: 交社保所进行核对……交县医保中心最后复核，
    复核无误的……缴入农业银行指定帐户). A plan that prescribes none gets the township's check and the deposit."""

    steps: list[ReviewStep] = Field(
        default_factory=lambda: list(USUAL_CHAIN),
        description="in order, a subset of township_check, county_review, deposit; ends with deposit",
    )
    account: str | None = Field(default=None, description="the account the money goes into, as the plan names it")

    @field_validator("steps")
    @classmethod
    def _a_chain(cls, steps: list[ReviewStep]) -> list[ReviewStep]:
        problem = chain_problem(steps)
        if problem is not None:
            raise ValueError(problem)
        return steps
