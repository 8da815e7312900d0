"""Population benchmark: is the transit search right and fast on a realistic mix of stars?

    .venv/bin/python bench/bench_population.py [--stars-per-kind 48] [--workers 2] [--seed 1]
        [--kinds quiet,spotted,...] [--astropy-trials 256] [--quick] [--csv PATH]
        [--without spots,flares]

The population (bench/population.py: real KOI-3278 time stamps, real noise, eight kinds of
star, batman planets at box SNR 7-30 in 2/3 of them) is generated star by star inside the
worker processes, deterministically from (seed, kind, index). Each worker runs on one thread
(`configure_worker_process`, as the pipeline's workers) and, per star:

1. times lcfeat's `extract_features` (all 63 features: the full per-star cost), wall and CPU;
2. times astropy's `BoxLeastSquares` (fast method, objective "likelihood", oversample 10, the
   default) on the same trial periods and durations as lcfeat's plan for that light curve
   (`plan_ffa` over its baseline, the 15-hour duration cap of the search's first window):
   groups of the plan are drawn with probability proportional to their number of trial
   periods and, per drawn group, one astropy call covers up to --trials-per-call of its
   periods (with that group's durations), until --astropy-trials periods are timed; the
   full-grid time is the mean CPU seconds per period times the plan's number of periods.
   Several periods per call keep astropy's fixed cost per call (~0.7 ms, against ~0.35 ms per
   period on 65k cadences) from being counted once per period: the plan has one duration set
   per group, so a full astropy run would make one call per group (419 for 17 quarters);
3. compares the found period and epoch (`transit_bls_period`, extra `transit_bls_epoch`) with
   the injected planet or the EB's eclipses: recovered when the period is within 0.5% of P,
   P/2 or 2P and the epoch within one duration (modulo the shorter period); for a signal at
   SNR >= 10 that was missed, runs the search again (untimed) and measures the signal's own
   box on the flux it searched (`missed_snr_searched`): below LOST_SNR the detrending or the
   star's own noise buried it, above it another peak outranked it;
4. for a signal at SNR >= 10 on a star with variability of its own (spots, flares, a
   contact binary: known to the generator, `SyntheticStar.variability`), searches the flux
   with that variability divided out, what a perfect detrending would leave: whether the
   signal is found there (`recovered_without_variability`, the completeness the search
   itself allows) and, for a missed one, its box SNR there (`missed_snr_without_variability`:
   at LOST_SNR or above, the detrending lost the signal, not the noise);
5. measures every injected signal's SNR against the star's CDPP at its duration (`cdpp_snr`,
   lightkurve's `estimate_cdpp`), where the star's own variability on the transit's time
   scale counts as noise, as in Kepler's CDPP (lightkurve's proxy of it): the completeness
   table adds completeness at that SNR >= 10, and how many signals at box SNR >= 10 are
   below Kepler's threshold (7.1) against it;
6. for a signal at SNR >= 10, measures its box SNR at its true period, epoch and duration on
   the flux detrended the field's standard way knowing the transit (`reference_snr`: wotan's
   biweight at 3 x the true duration, Hippke et al. 2019): the share above 7.1 is an
   optimistic ceiling for wotan + a box search, printed beside lcfeat's completeness (on
   spotted and flaring stars the ceiling itself stays well below the 90% goal: the star's
   own variability on the transit's time scale buries the signal for it too).

`--without spots` (or `flares`) draws every Kepler star's spots (flares) as usual but leaves
them out of its flux, every other draw the same: what each component costs is measured on the
same stars and planets.

Ratios are astropy CPU seconds for the full grid over lcfeat CPU seconds for all 63 features,
measured on the same star in the same process, so that a busy machine affects both. The speed
table and the headline give them per kind, for the full-length (17-quarter) kinds together
(the stars the speed goal is about) and for the whole mixed population. The load average is
printed at start and end.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import math
import os
import sys
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import population as pop
from lcfeat_imports import (
    PREWHITEN_CHUNK_D,
    TREND_WINDOWS_D,
    LightCurve,
    Prepared,
    TransitSearch,
    box_candidate,
    configure_worker_process,
    extract_features,
    median_cadence,
    plan_ffa,
    search_transits,
)
from timing import load

SNR_BINS = ((7.0, 10.0), (10.0, 15.0), (15.0, 20.0), (20.0, 30.0))
GOAL_RATIO = 200.0
GOAL_COMPLETENESS = 0.90
#: A signal missed at SNR >= 10 whose box SNR on the flux the search ran on is below this was
#: lost before any ranking (noise alone gives best candidates of SNR 5-11 on quiet stars).
LOST_SNR = 7.0
#: Kepler's transiting planet search threshold on the multiple event statistic (Jenkins et
#: al. 2010): a signal below it against its star's CDPP is not expected to be detected.
KEPLER_MES_THRESHOLD = 7.1
#: lightkurve's default Savitzky-Golay window for `estimate_cdpp`, 101 cadences, is 2.06 days
#: at Kepler's long cadence but 3.4 hours at TESS's 2 minutes, where it would take the star's
#: variability on transit time scales out of the CDPP: the window is these days, in cadences.
CDPP_SAVGOL_D = 101 * pop.CADENCE_D
#: Candidate detection thresholds, and the false-alarm rate a suggested one must keep.
SDE_THRESHOLDS = (7.0, 8.0, 9.0, 10.0, 12.0, 15.0, 20.0, 30.0)
SNR_THRESHOLDS = (7.1, 8.0, 9.0, 10.0, 12.0, 15.0, 20.0, 30.0)
JOINT_THRESHOLDS = ((7.0, 10.0), (8.0, 10.0), (9.0, 12.0), (10.0, 12.0), (12.0, 15.0))
#: SDE and SNR thresholds tried on candidates that passed the search's vetting (extra
#: transit_vetted).
VETTED_SDE_THRESHOLDS = (12.0, 15.0, 20.0, 30.0)
VETTED_SNR_THRESHOLDS = (8.0, 9.0, 10.0, 12.0)
#: A suggested threshold keeps false alarms at or below the first of these it can.
FALSE_ALARM_TARGETS = (0.02, 0.05)
#: Lengths (days) built into the search's detrending; a found period within 0.5% of one of
#: them (or of twice or half of it) on a star with no signal there is the search's own.
CODE_LENGTHS = {
    "PREWHITEN_CHUNK_D": PREWHITEN_CHUNK_D,
    **{f"TREND_WINDOWS_D[{i}]": w for i, w in enumerate(TREND_WINDOWS_D)},
}
CODE_MULTIPLES = (1.0, 2.0, 0.5)
#: A found period near one of the star's own periods times these is the star's doing.
HARMONICS = (1.0, 2.0, 3.0, 4.0, 1 / 2, 1 / 3, 1 / 4)


def near(value: float, reference: float, tolerance: float = pop.PERIOD_TOLERANCE) -> bool:
    return abs(value - reference) <= tolerance * reference


def explained_by_star(period: float, own_periods: Sequence[float]) -> bool:
    return any(near(period, p * h) for p in own_periods for h in HARMONICS)


def code_length_hit(period: float | None, own_periods: Sequence[float]) -> str:
    """Name of the code length (or multiple) the found period sits on, '' if none or if
    the star's own variability or signal explains it."""
    if period is None or not math.isfinite(period) or explained_by_star(period, own_periods):
        return ""
    for name, length in CODE_LENGTHS.items():
        for multiple in CODE_MULTIPLES:
            if near(period, length * multiple):
                return name if multiple == 1.0 else f"{multiple:g} x {name}"
    return ""


def chance_of_code_length(period_range: tuple[float, float] = (0.5, 100.0)) -> float:
    """Probability that a period drawn log-uniformly in `period_range` hits a code length."""
    references = {round(length * m, 9) for length in CODE_LENGTHS.values()
                  for m in CODE_MULTIPLES}
    inside = [r for r in references if period_range[0] <= r <= period_range[1]]
    width = len(inside) * math.log((1 + pop.PERIOD_TOLERANCE) / (1 - pop.PERIOD_TOLERANCE))
    return width / math.log(period_range[1] / period_range[0])


# --- per star, in the worker ---------------------------------------------------------------


def astropy_grid_seconds(
    time_: np.ndarray, flux: np.ndarray, rng: np.random.Generator, periods_to_time: int,
    per_call: int,
) -> dict[str, float]:
    """astropy BLS on lcfeat's plan for this light curve, timed on a sample of its trial
    periods and scaled to the full grid (module documentation, step 2)."""
    from astropy.timeseries import BoxLeastSquares

    plan = plan_ffa(float(time_[0]), float(time_[-1] - time_[0]), time_.size)
    y = flux - np.median(flux)
    sigma = 1.4826 * float(np.median(np.abs(y)))
    bls = BoxLeastSquares(time_, y, np.full(time_.size, sigma))
    weights = plan.n_trials / plan.n_trials.sum()
    order = rng.choice(plan.n_groups, size=plan.n_groups, replace=False, p=weights)
    timed_periods, cpu_per_period, wall_per_period = 0, [], []
    for g in order:
        if timed_periods >= periods_to_time:
            break
        n_group = int(plan.n_trials[g])
        take = np.sort(rng.choice(n_group, size=min(per_call, n_group), replace=False))
        periods = 1.0 / (plan.f0[g] + plan.step[g] * take)
        widths = plan.widths[plan.width_offset[g]:plan.width_offset[g + 1]]
        durations = widths / (plan.f0[g] * plan.n_bins[g])
        c0, w0 = time.process_time(), time.perf_counter()
        bls.power(periods, durations, oversample=10, objective="likelihood")
        cpu_per_period.append((time.process_time() - c0) / take.size)
        wall_per_period.append((time.perf_counter() - w0) / take.size)
        timed_periods += take.size
    total = plan.total_trials
    f_max = plan.f0[-1] + plan.step[-1] * (plan.n_trials[-1] - 1)
    return {
        "astropy_cpu_s": float(np.mean(cpu_per_period)) * total,
        "astropy_wall_s": float(np.mean(wall_per_period)) * total,
        "astropy_periods_timed": float(timed_periods),
        "grid_periods": float(total),
        "grid_groups": float(plan.n_groups),
        "grid_min_period_d": float(1.0 / f_max),
        "grid_max_period_d": float(1.0 / plan.f0[0]),
    }


def warm_up() -> None:
    """One thread per process; templates read, lcfeat's and astropy's code loaded and
    compiled before any clock starts."""
    configure_worker_process()
    for kind in ("short_10d", "quiet"):
        star = pop.make_star(kind, 10**6, 0)
        extract_features(star.light_curve)
        lc = star.light_curve
        astropy_grid_seconds(lc.time, lc.flux, np.random.default_rng(0), 2, 2)


def search_of(lc: LightCurve) -> TransitSearch | None:
    """The transit search of `lc` as the features run it (on `Prepared` flux); None when it
    cannot search. Outside the timing."""
    prepared = Prepared(lc)
    try:
        return search_transits(prepared.time, prepared.flux)
    except ValueError:
        return None


def signal_snr(found: TransitSearch, signal: pop.Signal) -> float:
    """The box SNR of `signal` (its true period, epoch and duration) on the very flux the
    search ran on (detrended, flares cut), with that flux's sigma."""
    return float(box_candidate(found.time, found.y, found.sigma, signal.period, signal.epoch,
                               signal.duration).snr)


def without_variability(star: pop.SyntheticStar) -> LightCurve | None:
    """The star's light curve divided by its own variability (`SyntheticStar.variability`:
    spots, flares, a contact binary; what a perfect detrending would take out); None for a
    star without any (quiet, giant, detached binary)."""
    if star.variability is None:
        return None
    lc = star.light_curve
    return dataclasses.replace(lc, flux=lc.flux / star.variability)


def cdpp_snr(lc: LightCurve, signal: pop.Signal) -> float:
    """The signal's box SNR (`population.box_snr`: depth x sqrt(cadences in transit /
    cadences per duration) / noise at the duration) with that noise taken as the star's CDPP
    at the signal's duration: lightkurve's `estimate_cdpp` (Gilliland et al. 2011's sgCDPP
    proxy: a Savitzky-Golay detrending over CDPP_SAVGOL_D, 5-sigma outliers cut, the scatter
    of running means over the duration; lightkurve's proxy of Kepler's CDPP) of the light
    curve as delivered. The star's own variability on the transit's time scale counts as
    noise there, as in Kepler's expected MES; the box SNR of the population counts only the
    noise series."""
    n_duration = max(1, int(round(signal.duration / median_cadence(lc.time))))
    n_in = int(np.count_nonzero(signal.in_box(lc.time)))
    return signal.depth * math.sqrt(n_in / n_duration) / cdpp(lc.time, lc.flux, n_duration)


def cdpp(time: np.ndarray, flux: np.ndarray, n_duration: int) -> float:
    """The CDPP (relative flux) of a light curve over `n_duration` cadences: lightkurve's
    `estimate_cdpp` with a Savitzky-Golay window of CDPP_SAVGOL_D in its own cadences."""
    import lightkurve  # the worker imported it already, reading the templates
    from astropy import units

    window = 2 * int(round((CDPP_SAVGOL_D / median_cadence(time) - 1.0) / 2.0)) + 1
    measured = lightkurve.LightCurve(time=time, flux=flux).estimate_cdpp(
        transit_duration=n_duration, savgol_window=window)  # in ppm
    return float(units.Quantity(measured).to_value(units.dimensionless_unscaled))


def reference_snr(lc: LightCurve, signal: pop.Signal) -> float:
    """The signal's box SNR at its true period, epoch and duration on the flux detrended the
    field's standard way, knowing the transit (`wotan_detrended`); depth = mean out of
    transit - mean in transit, its error from the residual's robust per-cadence sigma
    (`population.robust_std`). No search, no other period: at best what wotan + a box search
    could find on that flux, an optimistic ceiling independent of lcfeat's detrending."""
    time, residual = wotan_detrended(lc, signal.duration)
    inside = signal.in_box(time)
    n_in, n_out = int(np.count_nonzero(inside)), int(np.count_nonzero(~inside))
    if n_in == 0 or n_out == 0:
        return 0.0
    sigma = pop.robust_std(residual)
    depth = float(residual[~inside].mean() - residual[inside].mean())
    return depth / (sigma * math.sqrt(1.0 / n_in + 1.0 / n_out))


def wotan_detrended(lc: LightCurve, duration: float) -> tuple[np.ndarray, np.ndarray]:
    """(time, flux / trend - 1) of `lc` detrended the field's standard way for a transit of
    `duration`: wotan's biweight with a window of 3 x the duration (Hippke et al. 2019's
    recommendation), split at gaps longer than half a day, bright outliers (flares) cut as
    lightkurve's `remove_outliers` does for a transit search (astropy's sigma_clip, 3 sigma
    above, none below) and the flux detrended again without them (a flare lifts the trend
    around it). Only the cadences kept are returned."""
    from astropy.stats import sigma_clip
    from wotan import flatten

    ok = np.isfinite(lc.time) & np.isfinite(lc.flux)
    time, flux = lc.time[ok], lc.flux[ok]
    for _ in range(2):
        flat = flatten(time, flux, method="biweight", window_length=3.0 * duration,
                       edge_cutoff=0.0, break_tolerance=0.5)
        good = np.isfinite(flat)
        time, flux, flat = time[good], flux[good], flat[good]
        bright = sigma_clip(flat, sigma_upper=3.0, sigma_lower=np.inf, cenfunc="median",
                            stdfunc="mad_std", maxiters=5).mask
        time, flux, flat = time[~bright], flux[~bright], flat[~bright]
    return time, flat - 1.0


def run_star(kind: str, index: int, seed: int, periods_to_time: int, per_call: int,
             without: frozenset[str] = frozenset()) -> dict[str, object]:
    """Generate one star, run all features on it, time astropy on its grid: one CSV row."""
    try:
        star = pop.make_star(kind, index, seed, without=without)
        record = pop.summary(star)
        record["generation_s"] = star.seconds
        lc = star.light_curve
        c0, w0 = time.process_time(), time.perf_counter()
        row = extract_features(lc)
        record["lcfeat_cpu_s"] = time.process_time() - c0
        record["lcfeat_wall_s"] = time.perf_counter() - w0
        record["transit_domain_wall_s"] = row.domain_seconds.get("transit", float("nan"))
        record["features_not_null"] = row.n_valid
        values = {**row.values, **row.extras}
        period, epoch = values.get("transit_bls_period"), values.get("transit_bls_epoch")
        record.update(
            found_period=period,
            found_epoch=epoch,
            found_duration_h=None if values.get("transit_bls_duration") is None
            else 24.0 * values["transit_bls_duration"],
            found_depth_ppm=None if values.get("transit_bls_depth") is None
            else 1e6 * values["transit_bls_depth"],
            found_snr=values.get("transit_bls_snr"),
            found_sde=values.get("transit_bls_power"),
            found_vetted=values.get("transit_vetted"),
        )
        # The SDE and SNR of a candidate that passed the search's vetting, 0 for one that
        # did not.
        vetted = record["found_vetted"] == 1.0
        record["found_sde_vetted"] = record["found_sde"] if vetted else 0.0
        record["found_snr_vetted"] = record["found_snr"] if vetted else 0.0
        record["recovered"] = bool(star.signal and star.signal.is_recovered(period, epoch))
        record["code_length"] = code_length_hit(period, star.own_periods)
        record["found_own_period"] = bool(
            period is not None and explained_by_star(period, star.own_periods)
            and not record["recovered"]
        )
        record["injected_cdpp_snr"] = (
            None if star.signal is None else cdpp_snr(lc, star.signal))
        strong = star.signal is not None and star.signal.snr >= 10.0
        record["reference_snr"] = reference_snr(lc, star.signal) if strong else None
        missed = strong and not record["recovered"]
        found = search_of(lc) if missed else None
        record["missed_snr_searched"] = None if found is None else signal_snr(found, star.signal)
        ideal_lc = without_variability(star) if strong else None
        ideal = None if ideal_lc is None else search_of(ideal_lc)
        record["recovered_without_variability"] = None if ideal is None else bool(
            star.signal.is_recovered(ideal.candidate.period, ideal.candidate.epoch))
        record["missed_snr_without_variability"] = (
            signal_snr(ideal, star.signal) if missed and ideal is not None else None)
        rng = np.random.default_rng([seed, pop.KINDS.index(kind), index, 1])
        record.update(astropy_grid_seconds(lc.time, lc.flux, rng, periods_to_time, per_call))
        record["grid_edge"] = bool(period is not None and (
            near(period, record["grid_min_period_d"])
            or near(period, record["grid_max_period_d"])))
        record["error"] = ""
    except Exception as exc:  # keep the bench going; the CSV and the summary show it
        record = {"kind": kind, "index": index,
                  "error": f"{type(exc).__name__}: {exc} | {traceback.format_exc(limit=3)}"}
    return record


# --- statistics and printing ---------------------------------------------------------------


def pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def fraction(hits: int, total: int) -> str:
    return f"{hits}/{total} ({hits / total:.0%})" if total else "-"


def injected(records: Sequence[dict]) -> list[dict]:
    return [r for r in records if r.get("injected_source")]


def not_injected(records: Sequence[dict]) -> list[dict]:
    return [r for r in records if not r.get("injected_source")]


def stat(record: dict, name: str) -> float:
    value = record.get(name)
    return float("nan") if value is None else float(value)


def by_kind(records: Sequence[dict], kinds: Sequence[str]) -> list[tuple[str, list[dict]]]:
    groups = defaultdict(list)
    for r in records:
        groups[r["kind"]].append(r)
    rows = [(k, groups[k]) for k in kinds if groups[k]]
    return [*rows, ("ALL", list(records))]


def completeness_table(records: Sequence[dict], kinds: Sequence[str]) -> dict[str, float]:
    """Print completeness by injected box SNR per kind; return the SNR>=10 share per kind."""
    print("\nCOMPLETENESS (recovered: period within 0.5% of P, P/2 or 2P and epoch within one "
          "duration; detached_eb: the EB's primary-eclipse SNR, either eclipse's epoch)")
    labels = [f"SNR {lo:g}-{hi:g}" for lo, hi in SNR_BINS]
    print(f"{'kind':<14}{'stars':>6}{'signal':>7}  " + "".join(f"{x:>15}" for x in labels)
          + f"{'SNR >= 10':>16}")
    shares = {}
    for kind, rows in by_kind(records, kinds):
        inj = injected(rows)
        cells = []
        for lo, hi in SNR_BINS:
            sel = [r for r in inj if lo <= r["injected_snr"] < hi]
            cells.append(fraction(sum(r["recovered"] for r in sel), len(sel)))
        strong = [r for r in inj if r["injected_snr"] >= 10.0]
        hits = sum(r["recovered"] for r in strong)
        shares[kind] = hits / len(strong) if strong else float("nan")
        print(f"{kind:<14}{len(rows):>6}{len(inj):>7}  " + "".join(f"{c:>15}" for c in cells)
              + f"{fraction(hits, len(strong)):>16}")
    ceilings, against_cdpp, below_threshold, reference = [], [], [], []
    for kind, rows in by_kind(records, kinds):
        if kind == "ALL":
            continue
        known = [r for r in injected(rows) if r["injected_snr"] >= 10.0
                 and r.get("recovered_without_variability") is not None]
        if known:
            found = sum(r["recovered_without_variability"] for r in known)
            ceilings.append(f"{kind} {fraction(found, len(known))}")
        compared = [r for r in injected(rows) if r.get("reference_snr") is not None]
        if compared:
            passes = [r["reference_snr"] >= KEPLER_MES_THRESHOLD for r in compared]
            ours = [bool(r["recovered"]) for r in compared]
            beyond = sum(o and not p for p, o in zip(passes, ours, strict=True))
            reference.append(f"{kind} {fraction(sum(passes), len(compared))} against lcfeat "
                             f"{sum(ours)}/{len(compared)} ({beyond} beyond the ceiling)")
        measured = [r for r in injected(rows) if r.get("injected_cdpp_snr") is not None]
        if not measured:
            continue
        strong = [r for r in measured if r["injected_cdpp_snr"] >= 10.0]
        against_cdpp.append(f"{kind} {fraction(sum(r['recovered'] for r in strong), len(strong))}")
        box_strong = [r for r in measured if r["injected_snr"] >= 10.0]
        buried = sum(r["injected_cdpp_snr"] < KEPLER_MES_THRESHOLD for r in box_strong)
        if buried:
            below_threshold.append(f"{kind} {buried}/{len(box_strong)}")
    if ceilings:
        print("  SNR >= 10 with the star's own variability divided out (a perfect detrending): "
              + ", ".join(ceilings))
    if reference:
        print(f"  SNR >= 10, the reference's ceiling: box SNR >= {KEPLER_MES_THRESHOLD:g} on the "
              "flux detrended by wotan's biweight at 3 x the true duration, at the signal's "
              "own period, epoch and duration (`reference_snr`; no search, so an optimistic "
              "ceiling for wotan + a box search): " + ", ".join(reference))
    if against_cdpp:
        print("  SNR >= 10 against the star's CDPP at the signal's duration (lightkurve's "
              "estimate_cdpp, its proxy of Kepler's CDPP: the star's own variability on that "
              "time scale counts as noise): " + ", ".join(against_cdpp))
    if below_threshold:
        print(f"  signals at box SNR >= 10 below {KEPLER_MES_THRESHOLD:g} against that CDPP "
              "(Kepler's detection threshold): " + ", ".join(below_threshold))
    return shares


def describe_misses(records: Sequence[dict], kinds: Sequence[str]) -> None:
    """What the search found instead, for signals at SNR >= 10 it missed."""
    print("\nMISSED AT SNR >= 10: what was found instead (lost = the signal's own box has SNR "
          f"< {LOST_SNR:g} on the flux the search ran on, detrended and flares cut: buried before "
          "any ranking; by the detrending when it has SNR >= "
          f"{LOST_SNR:g} on the flux searched with the star's own variability divided out, to "
          "the noise when not; own = the star's rotation, contact or EB period or a harmonic "
          "1/4-4x; code = a detrending length; edge = grid edge; box SNR of the missed signals "
          "on the flux searched, and without the star's variability, median)")
    for kind, rows in by_kind(records, kinds):
        if kind == "ALL":
            continue
        missed = [r for r in injected(rows) if r["injected_snr"] >= 10.0 and not r["recovered"]]
        if not missed:
            continue
        reasons = Counter()
        for r in missed:
            searched = r.get("missed_snr_searched")
            if searched is not None and searched < LOST_SNR:
                without = r.get("missed_snr_without_variability")
                reasons["lost" if without is None else "lost by the detrending"
                        if without >= LOST_SNR else "lost to the noise"] += 1
            elif r["found_own_period"]:
                reasons["own"] += 1
            elif r["code_length"]:
                reasons["code"] += 1
            elif r["grid_edge"]:
                reasons["edge"] += 1
            else:
                reasons["other"] += 1
        examples = ", ".join(
            f"P={r['injected_period']:.3f}d SNR {r['injected_snr']:.0f} -> "
            f"{stat(r, 'found_period'):.3f}d" for r in missed[:4])
        snrs = ""
        for column, label in (("missed_snr_searched", "searched"),
                              ("missed_snr_without_variability", "without variability")):
            values = [r[column] for r in missed if r.get(column) is not None]
            if values:
                snrs += f"; {label} {np.median(values):.1f}"
        print(f"  {kind:<14}{len(missed):>3} missed: "
              + ", ".join(f"{k} {v}" for k, v in reasons.most_common())
              + f"{snrs}  (e.g. {examples})")


def false_alarm_table(records: Sequence[dict], kinds: Sequence[str]) -> None:
    print("\nFALSE-ALARM SIDE (stars with nothing injected): detection statistics of the best "
          "candidate")
    print(f"{'kind':<14}{'stars':>6}   {'SDE median':>10}{'p95':>8}{'max':>8}   "
          f"{'SNR median':>10}{'p95':>8}{'max':>8}   found period of the max-SDE star")
    for kind, rows in by_kind(records, kinds):
        quiet = not_injected(rows)
        if not quiet:
            continue
        sde = [stat(r, "found_sde") for r in quiet]
        snr = [stat(r, "found_snr") for r in quiet]
        worst = quiet[int(np.nanargmax(sde))]
        print(f"{kind:<14}{len(quiet):>6}   {np.nanmedian(sde):>10.1f}{pct(sde, 95):>8.1f}"
              f"{np.nanmax(sde):>8.1f}   {np.nanmedian(snr):>10.1f}{pct(snr, 95):>8.1f}"
              f"{np.nanmax(snr):>8.1f}   {stat(worst, 'found_period'):.4f} d")


def candidate_thresholds() -> list[tuple[str, Callable[[dict], bool]]]:
    """(label, passes) for every candidate threshold: SDE alone, SNR alone, both."""
    out: list[tuple[str, Callable[[dict], bool]]] = []
    for t in SDE_THRESHOLDS:
        out.append((f"SDE >= {t:g}", lambda r, t=t: stat(r, "found_sde") >= t))
    for t in SNR_THRESHOLDS:
        out.append((f"SNR >= {t:g}", lambda r, t=t: stat(r, "found_snr") >= t))
    for a, b in JOINT_THRESHOLDS:
        out.append((f"SDE >= {a:g} & SNR >= {b:g}",
                    lambda r, a=a, b=b: stat(r, "found_sde") >= a and stat(r, "found_snr") >= b))
    for t in VETTED_SDE_THRESHOLDS:
        out.append((f"SDE >= {t:g} & vetted", lambda r, t=t: stat(r, "found_sde_vetted") >= t))
    for t in VETTED_SNR_THRESHOLDS:
        out.append((f"SNR >= {t:g} & vetted", lambda r, t=t: stat(r, "found_snr_vetted") >= t))
    return out


def threshold_table(records: Sequence[dict], kinds: Sequence[str]) -> None:
    quiet = not_injected(records)
    inj = injected(records)
    strong = [r for r in inj if r["injected_snr"] >= 10.0]
    print("\nDETECTION THRESHOLD. A detection is a star whose best candidate passes the "
          "threshold (transit_bls_power = SDE, transit_bls_snr = SNR).\nOn a star with nothing "
          "injected it is a false alarm, whatever its period (a contact binary's own period "
          "included); on an injected star\nit counts toward completeness only if the candidate "
          "is also the injected signal (recovered).")
    print(f"  false-alarm side: {len(quiet)} stars; injected: {len(inj)} ({len(strong)} at "
          f"SNR >= 10)")
    print(f"{'threshold':>24}{'false alarms':>16}{'completeness':>16}{'at SNR >= 10':>16}")
    rows = []
    for label, passes in candidate_thresholds():
        alarms = sum(passes(r) for r in quiet)
        found = sum(r["recovered"] and passes(r) for r in inj)
        found_strong = sum(r["recovered"] and passes(r) for r in strong)
        rate = alarms / len(quiet) if quiet else float("nan")
        rows.append((label, passes, rate, found_strong / max(len(strong), 1)))
        print(f"{label:>24}{fraction(alarms, len(quiet)):>16}{fraction(found, len(inj)):>16}"
              f"{fraction(found_strong, len(strong)):>16}")
    for target in FALSE_ALARM_TARGETS:
        allowed = [row for row in rows if row[2] <= target]
        if not allowed:
            label, _, rate, share = min(rows, key=lambda row: (row[2], -row[3]))
            print(f"SUGGESTED: no threshold tried keeps false alarms <= {target:.0%} (lowest: "
                  f"{label}, {rate:.0%} false alarms, {share:.0%} complete at SNR >= 10)")
            continue
        label, passes, rate, share = max(allowed, key=lambda row: row[3])
        per_kind = ", ".join(
            f"{kind} {sum(passes(r) for r in not_injected(group))}/{len(not_injected(group))}"
            for kind, group in by_kind(records, kinds)
            if kind != "ALL" and not_injected(group))
        print(f"SUGGESTED: {label} (false alarms {rate:.1%} <= {target:.0%}, the most complete "
              f"such: {share:.0%} at SNR >= 10); false alarms by kind: {per_kind}")
        break
    print("  per kind, the lowest threshold tried with no false alarm (its completeness at "
          "SNR >= 10 in that kind):")
    for kind, group in by_kind(records, kinds):
        quiet_kind = not_injected(group)
        if kind == "ALL" or not quiet_kind:
            continue
        strong_kind = [r for r in injected(group) if r["injected_snr"] >= 10.0]
        cells = []
        for name, column, thresholds in (("SDE", "found_sde", SDE_THRESHOLDS),
                                         ("SNR", "found_snr", SNR_THRESHOLDS),
                                         ("vetted SDE", "found_sde_vetted", SDE_THRESHOLDS),
                                         ("vetted SNR", "found_snr_vetted", SNR_THRESHOLDS)):
            clean = [t for t in thresholds if all(stat(r, column) < t for r in quiet_kind)]
            if not clean:
                cells.append(f"{name}: none up to {thresholds[-1]:g}")
                continue
            hits = sum(r["recovered"] and stat(r, column) >= clean[0] for r in strong_kind)
            cells.append(f"{name} >= {clean[0]:g} ({fraction(hits, len(strong_kind))})")
        print(f"  {kind:<14}" + "; ".join(cells))


def code_length_table(records: Sequence[dict], kinds: Sequence[str]) -> None:
    lengths = ", ".join(f"{name} = {value:g} d" for name, value in CODE_LENGTHS.items())
    print(f"\nFOUND PERIOD ON A CODE LENGTH (within 0.5% of {lengths}, or 2x, 1/2x;\n"
          f"  stars whose own periods or harmonics explain it are not counted; by chance a "
          f"log-uniform 0.5-100 d period lands on one {chance_of_code_length():.1%} of the time)")
    for kind, rows in by_kind(records, kinds):
        hits = Counter(r["code_length"] for r in rows if r["code_length"])
        edge = sum(bool(r["grid_edge"]) for r in rows)
        detail = ", ".join(f"{name}: {count}" for name, count in hits.most_common())
        print(f"  {kind:<14}{fraction(sum(hits.values()), len(rows)):>14}"
              f"{'  ' + detail if detail else ''}; on the grid's edge (shortest or longest "
              f"period): {edge}")


def timing_table(records: Sequence[dict], kinds: Sequence[str]) -> dict[str, float]:
    print("\nSPEED (seconds per star, one thread; astropy: full-grid estimate on the same "
          "star and process; ratio = astropy CPU / lcfeat CPU for all 63 features)")
    print(f"{'':<14}{'':>6}{'lcfeat, all 63 features':^34}{'transit':>8}{'astropy':>9}"
          f"{'ratio of':>10}{'mean of':>9}{'ratio at':>9}{'wall':>7}")
    print(f"{'kind':<14}{'stars':>6}{'wall mean':>10}{'p95':>7}{'CPU mean':>10}{'p95':>7}"
          f"{'(wall)':>8}{'CPU s':>9}{'means':>10}{'ratios':>9}{'p95':>9}{'ratio':>7}")
    overall = {}
    groups = by_kind(records, kinds)
    full_length = [r for r in records if r["kind"] in pop.FULL_LENGTH_KINDS]
    if full_length and len(full_length) < len(records):
        # The speed goal is about full-length (17-quarter) stars: their aggregate beside
        # that of the whole mixed population.
        groups.insert(len(groups) - 1, ("FULL-LENGTH", full_length))
    for kind, rows in groups:
        wall = [r["lcfeat_wall_s"] for r in rows]
        cpu = [r["lcfeat_cpu_s"] for r in rows]
        transit = [r["transit_domain_wall_s"] for r in rows]
        astro = [r["astropy_cpu_s"] for r in rows]
        astro_wall = [r["astropy_wall_s"] for r in rows]
        ratio_of_means = np.mean(astro) / np.mean(cpu)
        mean_ratio = float(np.mean(np.array(astro) / np.array(cpu)))
        at_p95 = np.mean(astro) / pct(cpu, 95)
        wall_ratio = np.mean(astro_wall) / np.mean(wall)
        print(f"{kind:<14}{len(rows):>6}{np.mean(wall):>10.3f}{pct(wall, 95):>7.2f}"
              f"{np.mean(cpu):>10.3f}{pct(cpu, 95):>7.2f}{np.mean(transit):>8.3f}"
              f"{np.mean(astro):>9.1f}{ratio_of_means:>9.0f}x{mean_ratio:>8.0f}x"
              f"{at_p95:>8.0f}x{wall_ratio:>6.0f}x")
        if kind == "ALL":
            overall.update(ratio_of_means=ratio_of_means, mean_ratio=mean_ratio,
                           at_p95=at_p95)
        elif kind == "FULL-LENGTH":
            overall.update(full_length_ratio_of_means=ratio_of_means,
                           full_length_mean_ratio=mean_ratio)
    return overall


def write_csv(records: Sequence[dict], path: Path) -> None:
    columns: list[str] = []
    for r in records:
        columns += [k for k in r if k not in columns]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for r in records:
            writer.writerow({k: ("" if v is None else v) for k, v in r.items()})


# --- main ----------------------------------------------------------------------------------


def run_all(tasks: list[tuple], workers: int, progress: Callable[[int], None]) -> list[dict]:
    if workers <= 1:
        warm_up()
        out = []
        for task in tasks:
            out.append(run_star(*task))
            progress(len(out))
        return out
    out = []
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"),
                             initializer=warm_up) as pool:
        futures = [pool.submit(run_star, *task) for task in tasks]
        for future in as_completed(futures):
            out.append(future.result())
            progress(len(out))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stars-per-kind", type=int, default=48)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2,
                        help="processes, one thread each (default 2)")
    parser.add_argument("--kinds", default=",".join(pop.KINDS),
                        help=f"comma-separated, of: {', '.join(pop.KINDS)}")
    parser.add_argument("--astropy-trials", type=int, default=256,
                        help="trial periods timed with astropy per star (default 256)")
    parser.add_argument("--trials-per-call", type=int, default=64,
                        help="periods per astropy call, within one group of the plan")
    parser.add_argument("--quick", action="store_true",
                        help="2 stars per kind, 64 astropy periods: a smoke test")
    parser.add_argument("--csv", type=Path, default=None, help="write per-star results here")
    parser.add_argument("--without", default="",
                        help=f"comma-separated components left out of every star, of: "
                             f"{', '.join(pop.COMPONENTS)} (drawn as usual: the rest of each "
                             f"star is the same; what they cost the search)")
    args = parser.parse_args(argv)
    without = frozenset(c.strip() for c in args.without.split(",") if c.strip())
    if not without <= set(pop.COMPONENTS):
        parser.error(f"unknown components {sorted(without - set(pop.COMPONENTS))}; choose "
                     f"from {', '.join(pop.COMPONENTS)}")
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    unknown = set(kinds) - set(pop.KINDS)
    if unknown:
        parser.error(f"unknown kinds {sorted(unknown)}; choose from {', '.join(pop.KINDS)}")
    if args.quick:
        args.stars_per_kind, args.astropy_trials = 2, 64

    started = time.perf_counter()
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"start: {load()} on {os.cpu_count()} CPUs; {args.workers} worker process(es), one "
          f"thread each; seed {args.seed}, {args.stars_per_kind} stars per kind, kinds "
          f"{', '.join(kinds)}" + (f"; without {', '.join(sorted(without))}" if without else ""))
    tasks = [(kind, index, args.seed, args.astropy_trials, args.trials_per_call, without)
             for index in range(args.stars_per_kind) for kind in kinds]
    step = max(1, len(tasks) // 10)

    def progress(done: int) -> None:
        if done % step == 0 or done == len(tasks):
            print(f"  {done}/{len(tasks)} stars, {time.perf_counter() - started:.0f} s, "
                  f"{load()}", file=sys.stderr, flush=True)

    records = run_all(tasks, args.workers, progress)
    failed = [r for r in records if r.get("error")]
    records = [r for r in records if not r.get("error")]
    order = {k: i for i, k in enumerate(kinds)}
    records.sort(key=lambda r: (order[r["kind"]], r["index"]))
    if args.csv:
        write_csv(records + failed, args.csv)
        print(f"per-star results: {args.csv}")
    for r in failed:
        print(f"ERROR on {r['kind']} #{r['index']}: {r['error']}")
    if not records:
        return 1

    generation = [r["generation_s"] for r in records]
    print(f"population: {len(records)} stars generated in {sum(generation):.1f} s in total "
          f"(mean {np.mean(generation) * 1e3:.0f} ms, max {max(generation) * 1e3:.0f} ms per "
          f"star; excluded from every timing); per-cadence noise "
          f"{min(r['noise_ppm'] for r in records):.0f}-{max(r['noise_ppm'] for r in records):.0f}"
          f" ppm; {len(injected(records))} with a signal at box SNR "
          f"{min(r['injected_snr'] for r in injected(records)):.1f}-"
          f"{max(r['injected_snr'] for r in injected(records)):.1f}")
    shares = completeness_table(records, kinds)
    describe_misses(records, kinds)
    false_alarm_table(records, kinds)
    threshold_table(records, kinds)
    code_length_table(records, kinds)
    overall = timing_table(records, kinds)

    per_kind = {k: v for k, v in shares.items() if k != "ALL" and math.isfinite(v)}
    worst = min(per_kind, key=per_kind.get) if per_kind else None
    print(f"\nHEADLINE (mixed population of {len(records)} stars): astropy / lcfeat "
          f"{overall['ratio_of_means']:.0f}x (ratio of means), {overall['mean_ratio']:.0f}x "
          f"(mean of per-star ratios), {overall['at_p95']:.0f}x at lcfeat's p95 "
          f"(goal >= {GOAL_RATIO:.0f}x on average)"
          + (f"; full-length stars alone {overall['full_length_ratio_of_means']:.0f}x "
             f"(ratio of means), {overall['full_length_mean_ratio']:.0f}x (mean of ratios)"
             if "full_length_ratio_of_means" in overall else "")
          + "; completeness at SNR >= 10 "
          f"{shares['ALL']:.0%} overall"
          + (f", worst kind {worst} {per_kind[worst]:.0%}" if worst else "")
          + f" (goal >= {GOAL_COMPLETENESS:.0%} on every kind)")
    print(f"end: {load()}; elapsed {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
