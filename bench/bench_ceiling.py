"""How many of the active stars' planets could any detrending give a search to find?

    .venv/bin/python bench/bench_ceiling.py [--kinds spotted,flaring] [--stars-per-kind 48]
        [--seed 1] [--workers 2] [--min-snr 10]

The stars are the population bench's (`population.make_star`: same seed, kinds and indices).
For each one with a planet at box SNR >= --min-snr, the planet's empirical SNR
(`empirical_snr`) is measured on four fluxes:

perfect  the flux divided by the star's own variability (`SyntheticStar.variability`: the
         generator's spots and flares), minus 1: what a perfect detrending would leave, the
         information there is.
lcfeat   the flux lcfeat's transit search ran on (detrended, flares cut).
wotan    wotan's biweight at 3 x the true duration, bright outliers cut and the flux detrended
         again without them (`bench_population.wotan_detrended`, Hippke et al. 2019).
gp       a Gaussian process of a rotating star (celerite2: a RotationTerm, Foreman-Mackey et al.
         2017, for the spots, an SHOTerm for what is not periodic, a white jitter) fitted by
         maximum likelihood on the first GP_FIT_D days, starting at the star's true rotation
         period; its conditional mean is subtracted. For every box compared, the true one and
         each random one, the GP is conditioned on the flux without that box (and without the
         bright cadences wotan's pass cut), so it never absorbs the dip it is measured on: an
         oracle, told where to look, of the model that fits evolving spots best.

Empirical SNR: the box's mean deficit at the true period, epoch and duration, minus the
median of the same box at N_RANDOM random epochs (not within two durations of a transit),
over the robust scatter (1.4826 MAD) of those deficits. Red noise, flares and what a
detrending takes of a transit all count, as they do for a search; on white noise it is the
box SNR (tests/bench/test_ceiling.py). A planet at or above KEPLER_MES_THRESHOLD (7.1) on a
flux counts as detectable there; it is an estimate of what a search on that flux can reach,
not a bound (a search may still find a planet just below it, or miss one above).

Prints every star, then per kind: lcfeat's completeness (its search's period and epoch judged
as the population bench judges them) beside the share detectable on each flux.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import TYPE_CHECKING

import numpy as np
import population as pop
from bench_population import KEPLER_MES_THRESHOLD, search_of, wotan_detrended
from lcfeat_imports import configure_worker_process

if TYPE_CHECKING:
    from celerite2.terms import Term

FLUXES = ("perfect", "lcfeat", "wotan", "gp")
#: Random epochs per planet against which its box is compared.
N_RANDOM = 60
#: The GP's parameters are fitted on this many days from the start (a stationary process:
#: the rest adds time, not information about them).
GP_FIT_D = 150.0
#: Cadences after each bright one left out of the GP as well (a flare's decay).
FLARE_DECAY_CADENCES = 2


def boxes(signal: pop.Signal, rng: np.random.Generator, count: int = N_RANDOM
          ) -> list[pop.Signal]:
    """The true box (the signal itself), then `count` boxes at random epochs at least two
    durations (a quarter period on the shortest periods) from it."""
    margin = min(2.0 * signal.duration, 0.25 * signal.period)
    offsets = rng.uniform(margin, signal.period - margin, count)
    return [signal, *(dataclasses.replace(signal, epoch=signal.epoch + float(offset))
                      for offset in offsets)]


def deficit(time: np.ndarray, residual: np.ndarray, box: pop.Signal) -> float:
    """Mean of -residual inside `box` (NaN when no cadence is)."""
    inside = box.in_box(time)
    return float(-residual[inside].mean()) if inside.any() else math.nan


def empirical_snr(deficits: Sequence[float]) -> float:
    """(first deficit - median of the rest) / robust scatter of the rest (NaNs dropped)."""
    truth, rest = deficits[0], np.asarray(deficits[1:], dtype=float)
    rest = rest[np.isfinite(rest)]
    if not math.isfinite(truth) or rest.size < 10:
        return math.nan
    scatter = pop.robust_std(rest)
    return (truth - float(np.median(rest))) / scatter if scatter > 0 else math.nan


def fixed_flux_snr(time: np.ndarray, residual: np.ndarray, compared: Sequence[pop.Signal]) -> float:
    """Empirical SNR on a flux made without knowing the boxes."""
    return empirical_snr([deficit(time, residual, box) for box in compared])


def _rotation_kernel(params: np.ndarray) -> Term:
    from celerite2 import terms

    log_sigma, log_period, log_q0, log_dq, logit_f, log_sigma_sho, log_rho_sho, _ = params
    return terms.RotationTerm(
        sigma=math.exp(log_sigma), period=math.exp(log_period), Q0=math.exp(log_q0),
        dQ=math.exp(log_dq), f=1.0 / (1.0 + math.exp(-logit_f)),
    ) + terms.SHOTerm(sigma=math.exp(log_sigma_sho), rho=math.exp(log_rho_sho),
                      Q=1.0 / math.sqrt(2.0))


def fit_rotating_star(time: np.ndarray, y: np.ndarray, rotation: float) -> np.ndarray:
    """Maximum-likelihood parameters (`_rotation_kernel`'s, then the log jitter) of `y`
    over its first GP_FIT_D days, starting at period `rotation`."""
    from celerite2 import GaussianProcess
    from celerite2.driver import LinAlgError
    from scipy.optimize import minimize

    early = time < time[0] + GP_FIT_D
    t, v = time[early], y[early]
    white = pop.robust_std(np.diff(v)) / math.sqrt(2.0)
    start = np.array([math.log(float(np.std(v)) + 1e-6), math.log(rotation), 0.0,
                      math.log(2.0), 0.0, math.log(white), math.log(0.5), math.log(white)])

    def negative_log_likelihood(params: np.ndarray) -> float:
        try:
            gp = GaussianProcess(_rotation_kernel(params), mean=0.0)
            gp.compute(t, diag=np.full(t.size, math.exp(2.0 * params[-1])))
            value = -gp.log_likelihood(v)
        except (LinAlgError, ValueError, OverflowError):
            return 1e25
        return float(value) if math.isfinite(value) else 1e25

    return minimize(negative_log_likelihood, start, method="L-BFGS-B",
                    options={"maxiter": 200}).x


def gp_snr(time: np.ndarray, y: np.ndarray, usable: np.ndarray, rotation: float,
           compared: Sequence[pop.Signal]) -> float:
    """Empirical SNR on `y` minus the GP's conditional mean, the GP conditioned for each box
    on the `usable` cadences outside it (and outside the true transits)."""
    from celerite2 import GaussianProcess

    truth = compared[0]
    near_truth = truth.in_box(time, truth.duration)
    params = fit_rotating_star(time[usable & ~near_truth], y[usable & ~near_truth], rotation)
    kernel, jitter = _rotation_kernel(params), math.exp(2.0 * params[-1])
    deficits = []
    for box in compared:
        measured = box.in_box(time) & usable
        if not measured.any():
            deficits.append(math.nan)
            continue
        known = usable & ~near_truth & ~box.in_box(time, box.duration)
        gp = GaussianProcess(kernel, mean=0.0)
        gp.compute(time[known], diag=np.full(int(known.sum()), jitter))
        mean = gp.predict(y[known], t=time[measured], return_cov=False)
        deficits.append(float(-(y[measured] - mean).mean()))
    return empirical_snr(deficits)


def measure_star(kind: str, index: int, seed: int, min_snr: float) -> dict[str, object] | None:
    """Empirical SNR of star (kind, index)'s planet on every flux, and whether lcfeat's
    search recovered it; None for a star without a planet at `min_snr` or above."""
    configure_worker_process()
    star = pop.make_star(kind, index, seed)
    signal = star.signal
    if signal is None or signal.source != "planet" or signal.snr < min_snr:
        return None
    lc = star.light_curve
    compared = boxes(signal, np.random.default_rng([seed, pop.KINDS.index(kind), index, 2]))
    ok = np.isfinite(lc.time) & np.isfinite(lc.flux)
    t, flux = lc.time[ok], lc.flux[ok]
    snr = {}
    variability = star.variability if star.variability is not None else np.ones(lc.time.size)
    snr["perfect"] = fixed_flux_snr(t, flux / variability[ok] - 1.0, compared)
    found = search_of(lc)
    snr["lcfeat"] = math.nan if found is None else fixed_flux_snr(found.time, found.y, compared)
    kept_time, residual = wotan_detrended(lc, signal.duration)
    snr["wotan"] = fixed_flux_snr(kept_time, residual, compared)
    cut = ~np.isin(t, kept_time)
    usable = ~cut
    for after in range(1, FLARE_DECAY_CADENCES + 1):
        usable[after:] &= ~cut[:-after]
    snr["gp"] = gp_snr(t, flux - 1.0, usable, star.params.get("rotation_d", 5.0), compared)
    recovered = found is not None and signal.is_recovered(found.candidate.period,
                                                          found.candidate.epoch)
    return {"kind": kind, "index": index, "box_snr": signal.snr,
            "rotation_d": star.params.get("rotation_d", math.nan),
            "spot_amplitude": star.params.get("spot_semi_amplitude", math.nan),
            "duration_h": 24.0 * signal.duration, "recovered": recovered,
            **{f"snr_{k}": v for k, v in snr.items()}}


def share(count: int, total: int) -> str:
    return f"{count}/{total} ({100.0 * count / total:.0f}%)" if total else "-"


def report(rows: list[dict[str, object]]) -> None:
    rows.sort(key=lambda r: (r["kind"], r["rotation_d"]))
    print(f"\n{'kind':9} {'index':>5} {'box SNR':>7} {'rot d':>6} {'amp %':>6} {'dur h':>5}  "
          + "  ".join(f"{name:>7}" for name in FLUXES) + "  lcfeat found")
    for r in rows:
        print(f"{r['kind']:9} {r['index']:5d} {r['box_snr']:7.1f} {r['rotation_d']:6.2f} "
              f"{100 * r['spot_amplitude']:6.3f} {r['duration_h']:5.1f}  "
              + "  ".join(f"{r[f'snr_{name}']:7.1f}" for name in FLUXES)
              + f"  {'yes' if r['recovered'] else 'no'}")
    print(f"\nDETECTABLE: empirical SNR >= {KEPLER_MES_THRESHOLD:g} on each flux, beside lcfeat's "
          "completeness (its search's period and epoch)")
    for kind in sorted({r["kind"] for r in rows}):
        mine = [r for r in rows if r["kind"] == kind]
        detectable = {name: sum(r[f"snr_{name}"] >= KEPLER_MES_THRESHOLD for r in mine)
                      for name in FLUXES}
        shares = [f"{name} {share(count, len(mine))}" for name, count in detectable.items()]
        print(f"  {kind:9} lcfeat found {share(sum(r['recovered'] for r in mine), len(mine))};"
              f" detectable on: " + ", ".join(shares))
        missed = [r for r in mine if not r["recovered"]]
        if missed:
            best = [np.fmax(r["snr_wotan"], r["snr_gp"]) for r in missed]
            print(f"  {'':9} of the {len(missed)} lcfeat missed, detectable on wotan's or the "
                  f"GP's flux: {sum(b >= KEPLER_MES_THRESHOLD for b in best)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", default="spotted,flaring")
    parser.add_argument("--stars-per-kind", type=int, default=48)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--min-snr", type=float, default=10.0)
    args = parser.parse_args(argv)
    kinds = [k for k in args.kinds.split(",") if k]
    unknown = [k for k in kinds if k not in pop.KINDS]
    if unknown:
        parser.error(f"unknown kinds {unknown}: of {', '.join(pop.KINDS)}")
    started = time.perf_counter()
    print(f"command: python {' '.join(sys.argv)}", flush=True)
    jobs = [(kind, index) for kind in kinds for index in range(args.stars_per_kind)]
    with ProcessPoolExecutor(args.workers, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(measure_star, kind, index, args.seed, args.min_snr)
                   for kind, index in jobs]
        rows = [row for row in (f.result() for f in futures) if row is not None]
    report(rows)
    print(f"end: {len(rows)} planets, {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
