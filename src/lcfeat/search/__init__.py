"""The transit search: box least squares over an Ofir (2014) period grid by fast folding.

- `grid`: trial periods (Ofir's optimal frequency sampling) and durations tied to the period.
- `bls`: the compiled astropy-equivalent phase-binned BLS kernel (`bls_binned`) and its
  brute-force reference (`bls_slow`).
- `ffa`: the fast-folding BLS periodogram over a whole grid (`ffa_periodogram`) and its
  direct-folding reference (`ffa_periodogram_reference`).
- `core`: detrending for the search, the search itself (`search_periodic`), refinement.
- `epochs`: per-transit measurements at a candidate's ephemeris.
- `injection`: injection and recovery of batman transits (`lcfeat validate-injections`).

Submodules are imported on use: numba kernels load from their on-disk cache when first called.
"""
