"""Every lcfeat name the population bench (population.py, bench_population.py and their tests)
uses, in one place: when the package is reorganised, re-point these imports and nothing else.

- `read_light_curve`, `LightCurve`: read quarter files (lightkurve's default quality mask,
  per-quarter median normalisation) and hold the stitched light curve.
- `KNOWN_SIGNALS`, `KnownSignal`: ephemerides of the bundled stars' own transits, pulses and
  occultations, masked before their flux becomes noise.
- `extract_features`: all 63 features of one light curve (a FeatureRow with `.values`,
  `.extras`, `.domain_seconds`).
- `configure_worker_process`: one thread per process, as the pipeline's workers.
- `plan_ffa`: the trial periods and durations the search uses for a light curve.
- `PREWHITEN_CHUNK_D`, `TREND_WINDOWS_D`: lengths (days) built into the search's detrending,
  watched for in found periods.
- `Prepared`, `search_transits`, `TransitSearch`, `box_candidate`: the flux the features
  search, the search itself, its result and a box measured on its flux (what a missed
  signal still weighs there).
- `median_cadence`: a light curve's cadence, as the features measure it.
"""

from lcfeat.features.extract import extract_features
from lcfeat.features.prepared import Prepared
from lcfeat.lightcurve import LightCurve, read_light_curve
from lcfeat.lightcurve.robust import median_cadence
from lcfeat.pipeline.executors import configure_worker_process
from lcfeat.search.core import box_candidate
from lcfeat.search.detrend import PREWHITEN_CHUNK_D, TREND_WINDOWS_D
from lcfeat.search.grid import plan_ffa
from lcfeat.search.transits import TransitSearch, search_transits
from lcfeat.study.injection import KNOWN_SIGNALS, KnownSignal

__all__ = [
    "KNOWN_SIGNALS",
    "KnownSignal",
    "PREWHITEN_CHUNK_D",
    "TREND_WINDOWS_D",
    "LightCurve",
    "Prepared",
    "TransitSearch",
    "box_candidate",
    "configure_worker_process",
    "extract_features",
    "median_cadence",
    "plan_ffa",
    "read_light_curve",
    "search_transits",
]
