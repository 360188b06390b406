"""Every number, date and rule in a policy file says where it comes from.

A value carries a :class:`Clause` (the document, its section, the original sentence), or an assumption id
when the plan is silent or ambiguous, or both (a clause read with an interpretation). A value with neither
does not load.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from yibao.domain.money import yuan_to_fen

Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=80)]


class Strict(BaseModel):
    """Unknown keys are errors; loaded policies never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Clause(Strict):
    document: Identifier = "main"
    section: str = Field(min_length=1)
    text: str = Field(min_length=2, description="the original sentence, verbatim")


class Assumption(Strict):
    id: Identifier
    statement: str = Field(min_length=2, description="what yibao assumes")
    reason: str = Field(min_length=2, description="why: what the plan leaves silent or ambiguous")


class Cited(Strict):
    clause: Clause | None = None
    assumption: Identifier | list[Identifier] | None = Field(default=None, description="one id or several")
    derived: str | None = Field(
        default=None,
        min_length=2,
        description="how the value follows from its sentence where the sentence does not write it "
        "(a share the sentence splits between payers, a table's sum …)",
    )

    @model_validator(mode="after")
    def _has_basis(self) -> Cited:
        if self.clause is None and self.assumption is None:
            raise ValueError("value has no clause (条款出处) and no assumption (假设); every value must cite one")
        return self

    @property
    def assumption_ids(self) -> list[str]:
        if self.assumption is None:
            return []
        return [self.assumption] if isinstance(self.assumption, str) else list(self.assumption)


class Amount(Cited):
    """A sum of money written in yuan, as plans write it; used as integer fen."""

    yuan: Decimal = Field(ge=0)

    @field_validator("yuan")
    @classmethod
    def _whole_fen(cls, value: Decimal) -> Decimal:
        yuan_to_fen(value)
        return value

    @property
    def fen(self) -> int:
        return yuan_to_fen(self.yuan)


class Ratio(Cited):
    value: Decimal = Field(ge=0, le=1)

    @field_validator("value")
    @classmethod
    def _exact(cls, value: Decimal) -> Decimal:
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -4:
            raise ValueError("ratios have at most four decimal places")
        return value


class TierRef(Cited):
    tier: Identifier


class Count(Cited):
    value: int = Field(ge=0)
