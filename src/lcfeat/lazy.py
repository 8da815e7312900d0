"""Names of a package that load from their home modules on first use (PEP 562).

A package lists `homes` (name -> module) and takes `__getattr__` and `__dir__` from
`lazy_exports`: `import lcfeat` and the command line then start without the libraries those
modules load (SQLAlchemy, the feature stack, pandas).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, homes: Mapping[str, str]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`__getattr__` and `__dir__` for `package`, each name of `homes` loaded from its module."""

    def __getattr__(name: str) -> Any:
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(homes[name]), name)

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *homes})

    return __getattr__, __dir__
