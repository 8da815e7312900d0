"""lcfeat: Kepler long-cadence light curves to a table of 63 named features.

In Python (the functions load on first use, so `import lcfeat` and the `lcfeat` command start
fast):

- `lcfeat.extract_features(source)`: one star's `FeatureRow` (`to_dict()`, `to_series()`);
- `lcfeat.extract_table(sources, workers=...)`: many stars to a pandas DataFrame;
- `lcfeat.read_features(db_url)`: the stored table as a DataFrame, units in `df.attrs`;
- `lcfeat.search_transits(time, flux)`: the transit search, candidate and periodogram;
- `lcfeat.plot_sheet(source, path)`: a star's vetting sheet;
- `lcfeat.light_curve(source)`: the `LightCurve` the features see.

`lcfeat.api` documents them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from lcfeat.version import __version__

if TYPE_CHECKING:
    from lcfeat.api import (
        FeatureRow,
        LightCurve,
        NotSearchableError,
        TransitSearch,
        extract_features,
        extract_table,
        light_curve,
        plot_sheet,
        read_features,
        search_transits,
    )

__all__ = ["FeatureRow", "LightCurve", "NotSearchableError", "TransitSearch", "__version__",
           "extract_features", "extract_table", "light_curve", "plot_sheet", "read_features",
           "search_transits"]
_API = frozenset(__all__) - {"__version__"}


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module("lcfeat.api"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])
