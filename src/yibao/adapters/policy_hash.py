"""The fingerprint of a bundled policy file, frozen with every assessment made from it."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources


@cache
def policy_hash(policy_id: str) -> str:
    data = resources.files("yibao.policies").joinpath(f"{policy_id}.yaml").read_bytes()
    return hashlib.sha256(data).hexdigest()
