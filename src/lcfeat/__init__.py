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

from typing import TYPE_CHECKING

from lcfeat.lazy import lazy_exports
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
__getattr__, __dir__ = lazy_exports(
    __name__, {name: "lcfeat.api" for name in __all__ if name != "__version__"})
