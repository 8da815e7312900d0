"""Injection and recovery: how often the transit search finds a planet it was given.

As in the Kepler pipeline's completeness studies (Christiansen et al. 2013, 2016), limb-
darkened transits computed by `batman` (Kreidberg 2015) multiply real light curves whose own
known signals are cut out first (`KNOWN_SIGNALS`); the transit domain is run on each, and a
planet counts as recovered when the best period is within 0.5% of the injected one or of half
or twice it, and the best epoch falls within one injected duration of an injected transit
(compared modulo the shorter of the two periods, so that aliases are judged fairly).
The expected signal-to-noise of an injection is its mean in-transit depth over the noise of
the light curve (before injection) averaged over the injected duration, times the square root
of the number of durations' worth of in-transit cadences: Kepler's "expected MES" with the
CDPP at the transit duration (Christiansen et al. 2016), so that correlated noise left by
stellar variability counts (for white noise it is sum(depth_i) / (sigma sqrt(n_in))). The
noise is measured after a detrending that would keep the transit (`NoiseModel`): on a spotted
star a long transit faces the spots, whatever shorter window the search falls back to.
The false-alarm rate is measured on the same stars with nothing injected: the share whose
best candidate passes the detection threshold. The planets orbit a Sun-like host (a/R* from
Kepler's law with M_sun, R_sun), the star the search's durations and grid are designed for
(issue 4): on a small star real transits are shorter, and below one hour they lose SNR to the
shortest box (see `a_over_rs` to inject with the header's radius and log g instead).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lcfeat.features.prepared import Prepared
from lcfeat.features.registry import compute_domain
from lcfeat.lightcurve import LightCurve, read_light_curve
from lcfeat.search.core import MIN_EVENTS, block_noise
from lcfeat.search.detrend import (
    TREND_WINDOWS_D,
    away_from_edges,
    biweight_residuals,
    detrend_for_search,
    prewhiten,
)
from lcfeat.search.grid import DAY_S, G_SI, M_SUN_KG, MIN_TRANSITS, PERIOD_MAX_D, R_SUN_M

#: Quadratic limb darkening of a Sun-like star in the Kepler band (Claret & Bloemen 2011).
LIMB_DARKENING = (0.40, 0.26)
#: Kepler long-cadence exposure (days): the model is integrated over it (Kipping 2010).
EXPOSURE_D = 0.0204340
SUPERSAMPLE = 7
#: Recovery tolerances (issue 4): period within 0.5% (or of the 1/2, 2x alias), epoch within
#: one injected duration.
PERIOD_TOLERANCE = 0.005
ALIASES = (1.0, 0.5, 2.0)
#: A best candidate with at least this SNR counts as a detection (Kepler's 7.1 sigma MES).
DETECTION_SNR = 7.1
SNR_BINS = (0.0, 5.0, 7.0, 10.0, 15.0, 20.0, math.inf)


@dataclass(frozen=True)
class KnownSignal:
    """A periodic signal to cut out before injecting: +- half_width around each event."""

    name: str
    period: float
    epoch: float
    half_width: float


#: Known signals of the bundled stars (BKJD). Kepler-10 b and c: Dumusque et al. 2014
#: (P = 0.8374907 d, 45.29485 d), epochs checked against the bundled Q13 data. KOI-3278:
#: Kruse & Agol 2014 (P = 88.18 d); the self-lensing pulse and the occultation epochs are
#: measured on the bundled 17 quarters (box fits: pulse +720 ppm, occultation -900 ppm).
KNOWN_SIGNALS: dict[int, tuple[KnownSignal, ...]] = {
    11904151: (
        KnownSignal("Kepler-10 b", 0.8374907, 131.57375, 0.08),
        KnownSignal("Kepler-10 c", 45.29485, 138.6761, 0.4),
    ),
    3342467: (
        KnownSignal("KOI-3278 pulse", 88.181, 164.24, 0.4),
        KnownSignal("KOI-3278 occultation", 88.181, 209.15, 0.4),
    ),
}


@dataclass(frozen=True)
class Injection:
    period: float
    epoch: float
    rp_over_rs: float
    a_over_rs: float
    impact: float

    @property
    def inclination_deg(self) -> float:
        return math.degrees(math.acos(min(self.impact / self.a_over_rs, 1.0)))

    @property
    def duration(self) -> float:
        """Total (first to fourth contact) duration in days, circular orbit."""
        chord = (1.0 + self.rp_over_rs) ** 2 - self.impact**2
        sin_i = math.sin(math.radians(self.inclination_deg))
        arg = math.sqrt(max(chord, 0.0)) / (self.a_over_rs * sin_i)
        return self.period / math.pi * math.asin(min(arg, 1.0))


@dataclass(frozen=True)
class Outcome:
    kepler_id: int
    injection: Injection | None
    expected_snr: float
    found_period: float
    found_epoch: float
    found_snr: float
    sde: float
    recovered: bool
    #: Injected transits with at least one cadence of data (gaps can swallow some).
    transits_with_data: int = 0

    @property
    def detected(self) -> bool:
        return self.found_snr >= DETECTION_SNR

    @property
    def searchable(self) -> bool:
        """The search asks for MIN_EVENTS transits with data (as Kepler's pipeline did);
        an injection whose other transits fell in gaps is outside what it looks for."""
        return self.transits_with_data >= MIN_EVENTS


def without_known_signals(lc: LightCurve) -> LightCurve:
    """`lc` with the cadences of its `KNOWN_SIGNALS` removed."""
    keep = np.ones(lc.n_points, dtype=bool)
    for signal in KNOWN_SIGNALS.get(lc.kepler_id, ()):
        phase = (lc.time - signal.epoch + 0.5 * signal.period) % signal.period - 0.5 * signal.period
        keep &= np.abs(phase) > signal.half_width
    return _subset(lc, keep)


def _subset(lc: LightCurve, keep: np.ndarray) -> LightCurve:
    return dataclasses.replace(
        lc,
        time=lc.time[keep],
        flux=lc.flux[keep],
        flux_err=lc.flux_err[keep],
        quarter=lc.quarter[keep],
        centroid_col=None if lc.centroid_col is None else lc.centroid_col[keep],
        centroid_row=None if lc.centroid_row is None else lc.centroid_row[keep],
    )


def a_over_rs(period: float, stellar: dict[str, float] | None = None) -> float:
    """Scaled semi-major axis from Kepler's third law: for the Sun (the host the search's
    durations and grid are designed for) unless `stellar` gives radius and log g (then the
    mass is g R^2 / G)."""
    stellar = stellar or {}
    radius = stellar.get("radius") or 1.0
    logg = stellar.get("logg")
    if logg is not None and np.isfinite(logg):
        mass_kg = 10.0 ** (logg - 2.0) * (radius * R_SUN_M) ** 2 / G_SI
    else:
        radius = 1.0
        mass_kg = M_SUN_KG
    semi_major = (G_SI * mass_kg * (period * DAY_S) ** 2 / (4.0 * np.pi**2)) ** (1.0 / 3.0)
    return float(semi_major / (radius * R_SUN_M))


def transit_model(time: np.ndarray, injection: Injection) -> np.ndarray:
    """Relative flux of the injected planet at `time` (1 out of transit), by batman,
    integrated over the long-cadence exposure. Only cadences near a transit are computed."""
    import batman

    model = np.ones(time.size)
    half = 0.5 * injection.duration + EXPOSURE_D
    phase = (time - injection.epoch + 0.5 * injection.period) % injection.period
    near = np.abs(phase - 0.5 * injection.period) < half
    if not near.any():
        return model
    params = batman.TransitParams()
    params.t0 = injection.epoch
    params.per = injection.period
    params.rp = injection.rp_over_rs
    params.a = injection.a_over_rs
    params.inc = injection.inclination_deg
    params.ecc = 0.0
    params.w = 90.0
    params.u = list(LIMB_DARKENING)
    params.limb_dark = "quadratic"
    transit = batman.TransitModel(
        params, time[near], supersample_factor=SUPERSAMPLE, exp_time=EXPOSURE_D
    )
    model[near] = transit.light_curve(params)
    return model


class NoiseModel:
    """The star's noise at a transit's duration, as a search that keeps such a transit would
    face it: the flux (prewhitened as the search does it, if it does) detrended with the
    search's own window, or, when that window is shorter than 3 x the duration (it would eat
    the transit), with the shortest window of the search's ladder that is not."""

    def __init__(self, lc: LightCurve) -> None:
        prepared = Prepared(lc)
        chosen = detrend_for_search(prepared.time, prepared.flux)
        flux = np.asarray(prepared.flux)
        if chosen.prewhitened_period is not None:
            flux = prewhiten(prepared.time, flux, 1.0 / chosen.prewhitened_period)
        self.windows = sorted(TREND_WINDOWS_D)
        self.search_window = chosen.window
        self.residuals = {
            w: biweight_residuals(prepared.time, flux, w) for w in self.windows
        }

    def at(self, duration: float) -> float:
        window = self.search_window
        if window < 3.0 * duration:
            window = next((w for w in self.windows if w >= 3.0 * duration), self.windows[-1])
        per_duration = max(1, int(round(duration / EXPOSURE_D)))
        return block_noise(self.residuals[window], per_duration)


def expected_snr(model: np.ndarray, noise: NoiseModel, duration: float) -> float:
    """Mean in-transit depth / noise at the duration x sqrt(in-transit cadences / cadences
    per duration)."""
    deficit = 1.0 - model
    in_transit = deficit > 0
    n_in = int(in_transit.sum())
    if n_in == 0:
        return 0.0
    per_duration = max(1, int(round(duration / EXPOSURE_D)))
    return float(deficit[in_transit].mean() / noise.at(duration)
                 * math.sqrt(n_in / per_duration))


def inject(lc: LightCurve, injection: Injection) -> tuple[LightCurve, np.ndarray]:
    model = transit_model(lc.time, injection)
    return dataclasses.replace(lc, flux=lc.flux * model), model


def sized_for_snr(
    lc: LightCurve, noise: NoiseModel, period: float, epoch: float, impact: float,
    target: float,
) -> tuple[Injection, float]:
    """An injection whose expected SNR is close to `target` (radius rescaled twice)."""
    scaled_a = a_over_rs(period)
    rp = 0.02
    snr = 0.0
    for _ in range(3):
        injection = Injection(period, epoch, rp, scaled_a, impact)
        snr = expected_snr(transit_model(lc.time, injection), noise, injection.duration)
        if snr <= 0:
            break
        rp = float(np.clip(rp * math.sqrt(target / snr), 1e-3, 0.3))
    injection = Injection(period, epoch, rp, scaled_a, impact)
    return injection, expected_snr(transit_model(lc.time, injection), noise,
                                   injection.duration)


def is_recovered(period: float, epoch: float, injection: Injection) -> bool:
    for alias in ALIASES:
        expected = injection.period * alias
        if abs(period - expected) <= PERIOD_TOLERANCE * expected:
            modulus = min(period, injection.period)
            offset = (epoch - injection.epoch + 0.5 * modulus) % modulus - 0.5 * modulus
            return abs(offset) <= injection.duration
    return False


def run_transit_domain(lc: LightCurve) -> dict[str, float | None]:
    result = compute_domain("transit", Prepared(lc))
    return {**result.values, **result.extras}


def transits_with_data(time: np.ndarray, model: np.ndarray, injection: Injection) -> int:
    """Injected transits with a dimmed cadence among those the search uses (not at an edge)."""
    dimmed = (model < 1.0) & away_from_edges(time)
    epochs = np.round((time[dimmed] - injection.epoch) / injection.period)
    return int(np.unique(epochs).size)


def _outcome(lc: LightCurve, injection: Injection | None, snr: float,
             n_transits: int = 0) -> Outcome:
    values = run_transit_domain(lc)
    period = values["transit_bls_period"]
    epoch = values["transit_bls_epoch"]
    found_snr = values["transit_bls_snr"]
    sde = values["transit_bls_power"]
    recovered = (
        injection is not None
        and period is not None
        and epoch is not None
        and is_recovered(period, epoch, injection)
    )
    return Outcome(
        kepler_id=lc.kepler_id,
        injection=injection,
        expected_snr=snr,
        found_period=float("nan") if period is None else period,
        found_epoch=float("nan") if epoch is None else epoch,
        found_snr=float("nan") if found_snr is None else found_snr,
        sde=float("nan") if sde is None else sde,
        recovered=bool(recovered),
        transits_with_data=n_transits,
    )


def injection_grid(
    lc: LightCurve,
    periods_count: int = 8,
    target_snrs: Sequence[float] = (5.0, 7.0, 9.0, 11.0, 14.0, 18.0, 25.0),
    phases: Sequence[float] = (0.13, 0.61),
    impacts: Sequence[float] = (0.0, 0.3, 0.6),
) -> Iterable[tuple[float, float, float, float]]:
    """(period, epoch, impact, target SNR) over a log-spaced period grid up to 90% of the
    longest searched period (a third of the baseline: at least three transits), a set of
    target SNRs (which fix the radius) and of phases (which fix the epoch)."""
    baseline = float(lc.time[-1] - lc.time[0])
    top = 0.9 * min(PERIOD_MAX_D, baseline / MIN_TRANSITS)
    periods = np.geomspace(0.6, top, periods_count)
    k = 0
    for period in periods:
        for target in target_snrs:
            for phase in phases:
                epoch = float(lc.time[0] + phase * period)
                yield float(period), epoch, impacts[k % len(impacts)], target
                k += 1


def run_injections(
    lc: LightCurve,
    grid: Iterable[tuple[float, float, float, float]] | None = None,
) -> list[Outcome]:
    """Inject and search every grid point into `lc` (its known signals cut out first)."""
    clean = without_known_signals(lc)
    noise = NoiseModel(clean)
    outcomes = []
    for period, epoch, impact, target in grid if grid is not None else injection_grid(clean):
        injection, snr = sized_for_snr(clean, noise, period, epoch, impact, target)
        injected, model = inject(clean, injection)
        n_transits = transits_with_data(clean.time, model, injection)
        outcomes.append(_outcome(injected, injection, snr, n_transits))
    return outcomes


def false_alarm(lc: LightCurve) -> Outcome:
    """The search on the star with its known signals cut out and nothing injected."""
    return _outcome(without_known_signals(lc), None, 0.0)


def completeness_table(outcomes: Sequence[Outcome]) -> list[tuple[str, int, int, float]]:
    """(SNR bin, injections, recovered, fraction) per expected-SNR bin, plus SNR >= 10, over
    the searchable injections (at least MIN_EVENTS transits with data)."""
    outcomes = [o for o in outcomes if o.searchable]
    rows = []
    snr = np.array([o.expected_snr for o in outcomes])
    hit = np.array([o.recovered for o in outcomes])
    edges = list(SNR_BINS)
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        sel = (snr >= lo) & (snr < hi)
        label = f"{lo:g}-{hi:g}" if math.isfinite(hi) else f">={lo:g}"
        rows.append((label, int(sel.sum()), int(hit[sel].sum()), _fraction(hit[sel])))
    sel = snr >= 10.0
    rows.append((">=10 (goal 90%)", int(sel.sum()), int(hit[sel].sum()), _fraction(hit[sel])))
    return rows


def _fraction(hits: np.ndarray) -> float:
    return float(hits.mean()) if hits.size else float("nan")


def bundled_light_curves(archive: Path) -> list[LightCurve]:
    """Every target of the bundled MAST-layout archive, one `LightCurve` each."""
    out = []
    for folder in sorted(p for p in archive.glob("*/*") if p.is_dir()):
        files = sorted(folder.glob("kplr*_llc.fits"))
        if files:
            out.append(read_light_curve(files))
    return out


@dataclass(frozen=True)
class StarReport:
    """Injections into one star, and the search on the star itself (known signals cut)."""

    kepler_id: int
    outcomes: list[Outcome]
    alarm: Outcome
    #: The detrending the search chose for the star: its window (days) and the period of the
    #: variability fitted out first, if any.
    window: float
    prewhitened_period: float | None

    @property
    def recovered_at_snr_10(self) -> list[bool]:
        return [o.recovered for o in self.outcomes if o.expected_snr >= 10.0 and o.searchable]


def validate_star(lc: LightCurve, periods: int = 8) -> StarReport:
    """Inject the grid of `injection_grid` into `lc` and search each; search `lc` itself."""
    outcomes = run_injections(lc, injection_grid(without_known_signals(lc), periods))
    clean = Prepared(without_known_signals(lc))
    how = detrend_for_search(clean.time, clean.flux)
    return StarReport(lc.kepler_id, outcomes, false_alarm(lc), how.window,
                      how.prewhitened_period)


def validate_archive(archive: Path, periods: int = 8) -> Iterator[StarReport]:
    """`validate_star` for every target of a MAST-layout folder, one after the other."""
    for lc in bundled_light_curves(archive):
        yield validate_star(lc, periods)
