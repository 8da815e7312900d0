"""Are the population bench's spotted stars harder than real ones? Their noise on transit time
scales, set beside that of the bundled real active stars.

    .venv/bin/python bench/bench_spot_realism.py [--seeds 8]

For every quarter of the bundled real stars with rotational variability (GJ 1243, an M dwarf
flare star rotating in 0.59 d; KIC 10002792, a spotted fast rotator; KOI-3278, 1-2% spots at
12.5 d), it measures:
- the rotation (the highest astropy Lomb-Scargle peak between 0.1 and 15 d) and the
  semi-amplitude (half the 1-99 percentile range, as `population.spot_modulation` scales it,
  of the flux over its running median of three rotations: KIC 10002792's Q2 holds jumps and
  drifts of 5-10% that are not its spots);
- the red-noise ratio R at 1.5, 3 and 6 h: lightkurve's `estimate_cdpp` (its proxy of Kepler's
  CDPP, which counts the star's own variability on that time scale as noise; as the
  population bench computes it, `bench_population.cdpp`) over the white noise at that
  duration, lcfeat's point-to-point sigma / sqrt(cadences). A transit at box SNR S against
  the white noise has an SNR of about S / R against the CDPP.

It then makes stars with the population's spot model (`population.spot_modulation`) at the
real quarter's time stamps, rotation and semi-amplitude, plus white noise at its
point-to-point sigma, for several seeds, and prints their R beside the real one. A real star
with a larger R than the model's at its rotation and amplitude means the bench's spotted stars
are not harder than real ones (the model has no flares, so a flare star's real R is
expected to be the larger).
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import population as pop  # noqa: E402
from bench_population import cdpp  # noqa: E402

#: The bundled real stars with rotational variability (KIC), all their quarters.
ACTIVE_STARS = (9726699, 10002792, 3342467)
#: Durations of the red-noise ratio, in Kepler long cadences (1.5, 3 and 6 h) ...
DURATION_CADENCES = (3, 6, 12)
#: ... of which this one is summarised.
SUMMARY_CADENCES = 6
ROTATION_RANGE_D = (0.1, 15.0)
#: The amplitude is measured over a running median of this many rotations (drifts left out).
SLOW_TREND_ROTATIONS = 3.0
def red_noise_ratios(time: np.ndarray, flux: np.ndarray, sigma: float) -> list[float]:
    """The CDPP of the population bench (`bench_population.cdpp`) over the white noise
    `sigma` / sqrt(n), at each of DURATION_CADENCES."""
    out = []
    for n in DURATION_CADENCES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out.append(cdpp(time, flux, n) / (sigma / math.sqrt(n)))
    return out


def rotation_of(time: np.ndarray, flux: np.ndarray) -> float:
    from astropy.timeseries import LombScargle

    low, high = ROTATION_RANGE_D
    frequency, power = LombScargle(time, flux).autopower(
        minimum_frequency=1.0 / high, maximum_frequency=1.0 / low, samples_per_peak=10)
    return float(1.0 / frequency[int(np.argmax(power))])


def semi_amplitude_of(flux: np.ndarray, rotation: float) -> float:
    from scipy.ndimage import median_filter

    window = 2 * int(SLOW_TREND_ROTATIONS * rotation / pop.CADENCE_D / 2) + 1
    low, high = np.percentile(flux / median_filter(flux, window, mode="nearest"), [1, 99])
    return 0.5 * float(high - low)


def shown(values: Sequence[float]) -> str:
    return " ".join(f"{v:6.2f}" for v in values)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8, help="model stars per real quarter")
    args = parser.parse_args(argv)
    from lcfeat.lightcurve.files import read_light_curve
    from lcfeat.lightcurve.robust import point_to_point_sigma

    hours = ", ".join(f"{n * pop.CADENCE_D * 24:.1f} h" for n in DURATION_CADENCES)
    print(f"red-noise ratio R (CDPP / white noise) at {hours}; model: the population's spot "
          f"model, {args.seeds} seeds (median, max)")
    print(f"{'KIC':>9} {'Q':>3} {'rotation':>9} {'semi-amp':>9} {'p2p ppm':>8}   "
          f"{'real R':<20} {'model R median':<20} {'model R max':<20}")
    rows = []
    for kepler_id in ACTIVE_STARS:
        for path in pop.quarter_files(kepler_id):
            lc = read_light_curve([path])
            time, flux = np.asarray(lc.time, float), np.asarray(lc.flux, float)
            sigma = point_to_point_sigma(flux)
            rotation = rotation_of(time, flux)
            amplitude = semi_amplitude_of(flux, rotation)
            real = red_noise_ratios(time, flux, sigma)
            model = []
            for seed in range(args.seeds):
                rng = np.random.default_rng(seed)
                spots, _ = pop.spot_modulation(rng, time, rotation, amplitude)
                model.append(red_noise_ratios(time, spots + rng.normal(0.0, sigma, time.size),
                                              sigma))
            median, top = np.median(model, axis=0), np.max(model, axis=0)
            rows.append((rotation, real, median))
            print(f"{kepler_id:>9} {int(lc.quarter[0]):>3} {rotation:8.2f}d {100 * amplitude:8.2f}%"
                  f" {1e6 * sigma:8.0f}   {shown(real):<20} {shown(median):<20} {shown(top):<20}")
    fast = [r for r in rows if r[0] < 2.0]
    at = DURATION_CADENCES.index(SUMMARY_CADENCES)
    for label, group in (("rotation < 2 d", fast), ("all", rows)):
        if group:
            ratio = [real[at] / model[at] for _, real, model in group]
            print(f"{label}: real R / model median R at 3 h: mean {np.mean(ratio):.2f}, "
                  f"range {min(ratio):.2f}-{max(ratio):.2f} over {len(group)} quarters")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
