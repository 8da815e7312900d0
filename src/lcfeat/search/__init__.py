"""The transit search: box least squares over an Ofir (2014) period grid by fast folding.

- `transits`: the entry point, `search_transits(time, flux)`: how to detrend, flares, which
  detrending's candidate wins.
- `detrend`: the detrendings the search tries (biweight windows, prewhitening, edges, flares).
- `core`: the search of detrended flux (`search_periodic`): periodogram peaks, refinement,
  single-event and depth-consistency vetting.
- `grid`: trial periods (Ofir's optimal frequency sampling) and durations tied to the period.
- `ffa`: the fast-folding BLS periodogram over a whole grid (`ffa_periodogram`) and its
  direct-folding reference (`ffa_periodogram_reference`).
- `bls`: the compiled astropy-equivalent phase-binned BLS kernel (`bls_binned`) and its
  brute-force reference (`bls_slow`).
- `epochs`: per-transit measurements at a candidate's ephemeris.

Submodules are imported on use: numba kernels load from their on-disk cache when first called.
Injection and recovery of batman transits is in `lcfeat.study.injection`.
"""
