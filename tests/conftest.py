from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from yibao.adapters import policy_files

TESTS = Path(__file__).parent


@pytest.fixture
def bundled_yaml() -> Any:
    """A bundled policy's raw mapping, to mutate in rejection tests."""

    def load(policy_id: str) -> dict[str, Any]:
        text = (Path(policy_files.__file__).parent.parent / "policies" / f"{policy_id}.yaml").read_text("utf-8")
        data: dict[str, Any] = yaml.safe_load(text)
        return data

    return load
