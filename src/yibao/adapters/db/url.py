"""Which database: YIBAO_DATABASE_URL, else the SQLite file ``yibao.sqlite`` in the working directory. Kept apart
from the engine so a command can ask without loading SQLAlchemy."""

from __future__ import annotations

import os

DEFAULT_URL = "sqlite:///yibao.sqlite"


def database_url() -> str:
    return os.environ.get("YIBAO_DATABASE_URL", DEFAULT_URL)
