"""Settings read from the environment: a command-line flag overrides `LCFEAT_<NAME>`, which
overrides the default."""

from __future__ import annotations

import os

ENV_DB = "LCFEAT_DB"
ENV_ARCHIVE = "LCFEAT_ARCHIVE"
ENV_CACHE = "LCFEAT_CACHE"
ENV_CATALOG = "LCFEAT_CATALOG"

DEFAULT_DB = "sqlite:///lcfeat.db"


def env(name: str, default: str | None = None) -> str | None:
    """The setting `LCFEAT_<name>` of the environment, else `default`."""
    return os.environ.get(f"LCFEAT_{name}", default)
