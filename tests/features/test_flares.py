"""The flare extras of the shape domain (`lcfeat.lightcurve.flares`) on real Kepler light curves.

Known answers come from outside the code under test: flares injected into the quiet KOI-3278
with the template of Davenport et al. (2014, ApJ 797, 122), written here from its published
coefficients and integrated over the 29.4-minute exposure; and GJ 1243, a flaring M dwarf,
recounted by a plain loop over the same definition (scipy's median filter, Python runs).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import ndimage, stats

from lcfeat.features import shape
from lcfeat.features.extract import extract_features
from lcfeat.features.prepared import Prepared
from lcfeat.lightcurve import LightCurve
from lcfeat.lightcurve.flares import Flares, FlaresNotMeasurableError, find_flares
from lcfeat.store.schema import column_info

EXTRAS = ("shape_flare_rate", "shape_flare_flux_fraction")
#: Kepler's long-cadence exposure (days, 29.4244 min), over which an injected flare is averaged.
EXPOSURE = 0.0204340
#: The quarter of KOI-3278 that flares are injected into (Q5: quiet, few gaps).
QUARTER = 5


def davenport(x: np.ndarray) -> np.ndarray:
    """Davenport et al. (2014) Eqs. 1 and 4: flux over the peak, `x` time from the peak in
    units of the full width at half maximum."""
    rise = (x >= -1) & (x <= 0)
    decay = x > 0
    out = np.zeros_like(x)
    out[rise] = (1 + 1.941 * x[rise] - 0.175 * x[rise] ** 2 - 2.246 * x[rise] ** 3
                 - 1.125 * x[rise] ** 4)
    out[decay] = 0.6890 * np.exp(-1.600 * x[decay]) + 0.3030 * np.exp(-0.2783 * x[decay])
    return out


def injected(time: np.ndarray, peak: float, fwhm: float, amplitude: float) -> np.ndarray:
    """The template's flux over each exposure: the mean of 41 samples across it."""
    offsets = (np.arange(41) + 0.5) / 41 - 0.5
    return amplitude * davenport((time[:, None] + offsets * EXPOSURE - peak) / fwhm).mean(axis=1)


def equivalent_duration(fwhm: float, amplitude: float) -> float:
    """The template's integral (days), by the trapezoid rule on a fine grid out to 60 FWHM."""
    grid = np.linspace(-1.0, 60.0, 200_001)
    return float(np.trapezoid(amplitude * davenport(grid), grid * fwhm))


def one_quarter(lc: LightCurve, quarter: int) -> LightCurve:
    keep = lc.quarter == quarter
    return dataclasses.replace(
        lc, time=lc.time[keep], flux=lc.flux[keep], flux_err=lc.flux_err[keep],
        quarter=lc.quarter[keep],
        centroid_col=None if lc.centroid_col is None else lc.centroid_col[keep],
        centroid_row=None if lc.centroid_row is None else lc.centroid_row[keep])


def with_flux(lc: LightCurve, flux: np.ndarray) -> LightCurve:
    return dataclasses.replace(lc, flux=flux)


def flares_of(lc: LightCurve) -> tuple[Flares, Prepared]:
    """The flares the shape domain counts (the same steps as `shape.flare_extras`)."""
    prepared = Prepared(lc)
    model = shape.periodic_variability(prepared.time, prepared.flux, prepared.cadence)
    found = find_flares(prepared.time, prepared.flux / model, prepared.flux_err / model,
                        prepared.cadence)
    assert found is not None
    return found, prepared


def white_sigma(flux: np.ndarray) -> float:
    """Per-cadence noise from successive differences (scipy's MAD, not lcfeat's)."""
    return float(stats.median_abs_deviation(np.diff(flux), scale="normal") / math.sqrt(2))


@pytest.fixture(scope="module")
def quiet_quarter(kic3342467) -> LightCurve:
    return one_quarter(kic3342467, QUARTER)


def test_injected_flares_are_all_found_and_their_flux_measured(quiet_quarter):
    lc = quiet_quarter
    time = lc.time
    noise = white_sigma(lc.flux)
    # 20 peaks spread over the quarter, each with 0.3 d of unbroken cadences either side.
    candidates = np.linspace(time[0] + 1.0, time[-1] - 1.0, 400)
    unbroken = [t for t in candidates
                if np.all(np.diff(time[(time > t - 0.3) & (time < t + 0.3)]) < 1.5 * EXPOSURE)
                and np.count_nonzero(np.abs(time - t) < 0.3) >= 28]
    peaks = np.asarray(unbroken)[np.round(np.linspace(0, len(unbroken) - 1, 20)).astype(int)]
    assert np.min(np.diff(peaks)) > 2.0  # well apart
    fwhms = (0.008, 0.010, 0.012, 0.015)  # 11.5 to 21.6 minutes
    amplitudes = (0.05, 0.06, 0.08, 0.10, 0.12)
    model = np.zeros_like(time)
    total_ed = 0.0
    for i, peak in enumerate(peaks):
        fwhm, amplitude = fwhms[i % 4], amplitudes[i // 4]
        flare = injected(time, peak, fwhm, amplitude)
        # each clearly a flare: 4 or more cadences 5 sigma up, 5 or more 3 sigma up
        assert np.count_nonzero(flare > 5 * noise) >= 4, (i, fwhm, amplitude)
        assert np.count_nonzero(flare > 3 * noise) >= 5, (i, fwhm, amplitude)
        model += flare
        total_ed += equivalent_duration(fwhm, amplitude)
    # the template integrates to 1.827 FWHM x amplitude (its rise 0.308, its decays
    # 0.689 / 1.600 + 0.303 / 0.2783): the integral above is the template's
    assert total_ed == pytest.approx(1.8271 * sum(
        fwhms[i % 4] * amplitudes[i // 4] for i in range(20)), rel=1e-3)

    found, prepared = flares_of(with_flux(lc, lc.flux + model))
    observing_time = prepared.flux.size * prepared.cadence
    assert found.observing_time == pytest.approx(observing_time, rel=1e-12)
    starts = prepared.time[found.start]
    per_flare = [int(np.count_nonzero(np.abs(starts - peak) < 0.1)) for peak in peaks]
    assert per_flare == [1] * 20  # every one found once, nothing else
    assert found.rate == pytest.approx(20 / observing_time, rel=1e-12)
    expected_fraction = total_ed / observing_time
    ratio = found.flux_fraction / expected_fraction
    print(f"\ninjected: 20 flares, found {found.count} in {observing_time:.2f} d, rate "
          f"{found.rate:.4f}/d; flux fraction {found.flux_fraction:.3e} against "
          f"{expected_fraction:.3e} injected (ratio {ratio:.3f})")
    # the runs above 3 sigma miss the faint end of each decay: a lower share, not all of it
    assert 0.6 <= ratio <= 1.05


def test_quiet_star_has_almost_no_flares(kic3342467):
    found, _ = flares_of(kic3342467)
    print(f"\nKOI-3278, 17 quarters: {found.count} flares in {found.observing_time:.1f} d, "
          f"rate {found.rate:.4f}/d, flux fraction {found.flux_fraction:.2e}")
    assert found.rate < 0.01


def test_a_lone_spike_is_no_flare_three_cadences_are(quiet_quarter):
    """N3 = 3: one or two cadences however bright are no flare; three are one."""
    prepared = Prepared(quiet_quarter)
    time, flux = prepared.time, prepared.flux
    noise = white_sigma(flux)
    unbroken = np.diff(time) < 1.5 * EXPOSURE
    middle = flux.size // 2 + int(np.argmax(unbroken[flux.size // 2:][:-1]
                                            & unbroken[flux.size // 2 + 1:]))
    assert find_flares(time, flux, prepared.flux_err).count == 0
    for width, expected in ((1, 0), (2, 0), (3, 1)):
        spiked = flux.copy()
        spiked[middle:middle + width] += 1000 * noise
        assert find_flares(time, spiked, prepared.flux_err).count == expected, width


def test_a_fast_rotator_is_no_flare_star(kic3342467, kepler10):
    """A 0.5-day, 1% sinusoid multiplied into the quiet star (a running median over 6.4 h
    would cut its maxima flat into a flare at every one)."""
    lc = kic3342467
    rotator = with_flux(lc, lc.flux * (1 + 0.01 * np.sin(2 * np.pi * lc.time / 0.5)))
    prepared = Prepared(rotator)
    # the running median alone would cut its maxima: the variability is divided out first
    assert shape.median_cuts_maxima(prepared.time, prepared.flux, prepared.cadence)
    quiet = Prepared(kepler10)  # a quiet star's running median is its quiescent flux
    assert not shape.median_cuts_maxima(quiet.time, quiet.flux, quiet.cadence)
    # what dividing by the variability prevents: maxima counted as flares, or a sigma of
    # zero (the running median of a slope is its centre value: half the excess is 0)
    try:
        unmodelled = find_flares(prepared.time, prepared.flux, prepared.flux_err,
                                 prepared.cadence)
    except FlaresNotMeasurableError as exc:
        assert "no scatter" in str(exc)
    else:
        assert unmodelled.rate > 0.5
    found, _ = flares_of(rotator)
    print(f"\nfast rotator: {found.count} flares in {found.observing_time:.1f} d, rate "
          f"{found.rate:.4f}/d")
    assert found.rate < 0.01
    row = extract_features(rotator, domains=("shape",))
    assert row.extras["shape_flare_rate"] == pytest.approx(found.rate, rel=1e-12)


def reference_flares(time: np.ndarray, flux: np.ndarray, flux_err: np.ndarray
                     ) -> tuple[float, float]:
    """(rate, flux fraction) by the definition, written plainly: scipy's median filter over
    13 long cadences, a loop over cadences for the runs and their merging."""
    cadence = float(np.median(np.diff(time)))
    assert abs(cadence - EXPOSURE) < 1e-4  # 13 cadences are 6.4 hours
    level = ndimage.median_filter(flux, size=13, mode="nearest")
    excess = flux / level - 1
    err = flux_err / level
    sigma = stats.median_abs_deviation(excess, scale="normal")
    passing = [e > 0 and e > 3 * sigma and e - d > 2 * sigma for e, d in zip(excess, err,
                                                                             strict=True)]
    runs: list[list[int]] = []
    for i, ok in enumerate(passing):
        if not ok:
            continue
        if runs and runs[-1][-1] == i - 1 and time[i] - time[i - 1] <= 1.5 * cadence:
            runs[-1].append(i)
        else:
            runs.append([i])
    events: list[list[int]] = []
    for run in (r for r in runs if len(r) >= 3):
        if events and time[run[0]] - time[events[-1][-1]] <= 3.5 * cadence:
            events[-1].extend(range(events[-1][-1] + 1, run[-1] + 1))
        else:
            events.append(list(range(run[0], run[-1] + 1)))
    observing_time = len(flux) * cadence
    total_ed = sum(sum(excess[i] for i in event) * cadence for event in events)
    return len(events) / observing_time, total_ed / observing_time


def test_gj1243_flares_agree_with_a_plain_recount(flare_star, kic3342467):
    """The criterion recounted independently on the flux the domain gives it (divided by the
    periodic variability of `lcfeat.search.detrend`, tested with the search)."""
    prepared = Prepared(flare_star)
    model = shape.periodic_variability(prepared.time, prepared.flux, prepared.cadence)
    found = find_flares(prepared.time, prepared.flux / model, prepared.flux_err / model,
                        prepared.cadence)
    rate, fraction = reference_flares(prepared.time, prepared.flux / model,
                                      prepared.flux_err / model)
    quiet, _ = flares_of(kic3342467)
    print(f"\nGJ 1243 (Q3): {found.count} flares in {found.observing_time:.2f} d, rate "
          f"{found.rate:.4f}/d (recount {rate:.4f}), flux fraction {found.flux_fraction:.3e} "
          f"(recount {fraction:.3e}); KOI-3278: rate {quiet.rate:.4f}/d")
    assert found.rate == pytest.approx(rate, rel=0.05)
    assert found.flux_fraction == pytest.approx(fraction, rel=0.05)
    assert found.rate > 0.2 and found.rate > 20 * quiet.rate


def test_extras_end_to_end(flare_star, kic3342467, kepler10, light_curve_from):
    gj = extract_features(flare_star, domains=("shape",))
    assert all(math.isfinite(gj.extras[name]) and gj.extras[name] > 0 for name in EXTRAS)
    quiet = extract_features(kic3342467, domains=("shape",))
    assert all(math.isfinite(quiet.extras[name]) for name in EXTRAS)
    print(f"\nextract_features: GJ 1243 {gj.extras}; KOI-3278 {quiet.extras}")
    # no flare is a measurement (0.0), not a failure (NULL)
    none = extract_features(kepler10, domains=("shape",))
    assert none.extras == {"shape_flare_rate": 0.0, "shape_flare_flux_fraction": 0.0}
    assert set(EXTRAS) <= set(none.to_dict())
    # too short to measure against: NULL, the features unaffected
    short = extract_features(light_curve_from(1 + 1e-3 * np.sin(np.arange(10.0))),
                             domains=("shape",))
    assert short.extras == dict.fromkeys(EXTRAS)
    assert short.values["shape_crossing_rate"] is not None


def test_the_flux_the_features_see_keeps_its_flares(flare_star):
    """The extras only add measurements: the 8 features are those of the flux as it is."""
    with_extras = extract_features(flare_star, domains=("shape",)).values
    assert with_extras == shape.shape_features(Prepared(flare_star).flux).values


def test_database_columns_name_the_extras_domain():
    for name in EXTRAS:
        assert column_info("features", name)["domain"] == "shape (extra)"
    assert column_info("features", "transit_bls_snr")["domain"] == "transit (extra)"


@pytest.mark.parametrize(("period", "amplitude"), [(1.0, 0.02), (2.0, 0.02), (3.0, 0.03)])
def test_a_spotted_star_of_days_is_no_flare_star(kepler10, period, amplitude):
    """Kepler-10 (quiet, 60 ppm per cadence) turning in 1-3 days at 2-3%: its slope per cadence
    is several times its noise, so a running median alone would be the centre cadence itself
    (a sigma of zero, NULL) or cut its maxima into flares; the rotation is divided out first
    (`median_cuts_maxima`, judged with a noise its slope does not inflate)."""
    lc = kepler10
    star = with_flux(lc, lc.flux * (1 + amplitude * np.sin(2 * np.pi * lc.time / period)))
    prepared = Prepared(star)
    assert shape.median_cuts_maxima(prepared.time, prepared.flux, prepared.cadence)
    # the noise the test is judged against: scipy's MAD of second differences, by hand
    second = np.diff(prepared.flux, 2)
    assert shape.curvature_free_sigma(prepared.flux) == pytest.approx(
        stats.median_abs_deviation(second, scale="normal") / math.sqrt(6), rel=1e-6)
    extras = extract_features(star, domains=("shape",)).extras
    assert extras["shape_flare_rate"] is not None and extras["shape_flare_rate"] < 0.05
