"""A year's plan (实施方案) as validated data: the model, its consistency checks and its rule index."""

from yibao.domain.policy.model import Policy
from yibao.domain.policy.parse import parse_policy

__all__ = ["Policy", "parse_policy"]
