"""The single source of truth for every feature: name, domain, unit, definition, reference.

The database table, `lcfeat features`, `docs/features.md` and the validation of every
extraction are generated from `FEATURES`. The 63 names are fixed by the deployed database
(FEATURES.md, schema version 1); changing one needs a schema version and a migration.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

SCHEMA_VERSION = 1

DOMAINS: tuple[str, ...] = (
    "statistical",
    "temporal",
    "frequency",
    "residual",
    "shape",
    "transit",
    "centroid",
)

DOMAIN_SIZES = {
    "statistical": 12,
    "temporal": 10,
    "frequency": 11,
    "residual": 8,
    "shape": 8,
    "transit": 10,
    "centroid": 4,
}

DOMAIN_FLUX = {
    "statistical": "normalised PDCSAP flux with positive outliers (cosmic rays) removed",
    "temporal": "normalised PDCSAP flux with positive outliers removed, split into continuous "
    "segments at gaps longer than 0.5 d",
    "frequency": "normalised PDCSAP flux with positive outliers removed; classic Lomb-Scargle "
    "periodogram (mean subtracted, no floating mean: astropy LombScargle(fit_mean=False)) on "
    "the fixed grid k / (5 x baseline) from 1/baseline to 24 d^-1 (5 points per resolution "
    "element), by a non-uniform FFT that matches astropy's exact sums",
    "residual": "the cleaned flux divided by its wotan biweight trend (window 1 d)",
    "shape": "normalised PDCSAP flux with positive outliers removed",
    "transit": "the cleaned flux divided by its wotan biweight trend (window 3x the longest "
    "trial duration, 45 h), cadences within 0.25 d of a gap left out; when stellar "
    "variability survives that window (3-h binned scatter > 1.5x white), the dominant "
    "period and 3 harmonics are first fitted out in 5-d chunks, then shorter windows (1, "
    "0.5, 0.3 d) tried, the longest trial duration a third of the window; the chosen window "
    "and the longer ones tried before it are each searched, the candidate with consistent "
    "single-transit depths and the highest SNR against the noise at its duration kept. "
    "Searched by a "
    "fast-folding box least squares on an Ofir (2014) grid (oversampling 3, periods 0.5 d to "
    "min(100 d, baseline/3), durations 0.5-2.5x the Sun-like duration within 1-15 h), peaks "
    "refined with the astropy-equivalent kernel; a candidate made by one event, or whose "
    "single-transit depths fail a chi-square consistency test, is passed over "
    "(lcfeat.search)",
    "centroid": "MOM_CENTR1/MOM_CENTR2 of the cadences kept by the quality mask (cadences "
    "whose centroid is NaN skipped)",
}


@dataclass(frozen=True)
class Feature:
    name: str
    domain: str
    unit: str
    definition: str
    reference: str


@dataclass(frozen=True)
class Extra:
    """A value stored beside the features (not one of the 63)."""

    name: str
    unit: str
    definition: str


_F = Feature

FEATURES: tuple[Feature, ...] = (
    # --- statistical (12) ---------------------------------------------------------------
    _F("stat_mean", "statistical", "relative flux", "arithmetic mean", "numpy.mean"),
    _F("stat_median", "statistical", "relative flux", "median", "numpy.median"),
    _F("stat_std", "statistical", "relative flux",
       "standard deviation (ddof=0)", "numpy.std"),
    _F("stat_variance", "statistical", "relative flux^2",
       "variance (ddof=0), stat_std squared", "numpy.var"),
    _F("stat_mad", "statistical", "relative flux",
       "median absolute deviation from the median, scaled by 1.4826 to estimate sigma for "
       "Gaussian noise", "scipy.stats.median_abs_deviation(scale='normal')"),
    _F("stat_range", "statistical", "relative flux", "maximum minus minimum", "numpy.ptp"),
    _F("stat_iqr", "statistical", "relative flux",
       "75th minus 25th percentile (linear interpolation)", "scipy.stats.iqr"),
    _F("stat_skewness", "statistical", "dimensionless",
       "Fisher-Pearson coefficient of skewness (biased)", "scipy.stats.skew(bias=True)"),
    _F("stat_kurtosis", "statistical", "dimensionless",
       "excess kurtosis (Fisher, biased): 0 for a Gaussian",
       "scipy.stats.kurtosis(fisher=True, bias=True)"),
    _F("stat_percentile_5", "statistical", "relative flux",
       "5th percentile (linear interpolation)", "numpy.percentile"),
    _F("stat_percentile_95", "statistical", "relative flux",
       "95th percentile (linear interpolation)", "numpy.percentile"),
    _F("stat_beyond_1sigma", "statistical", "fraction",
       "fraction of cadences with |flux - mean| > stat_std", "Richards et al. 2011, ApJ 733, 10"),
    # --- temporal (10) ------------------------------------------------------------------
    _F("temp_duration_days", "temporal", "d",
       "last minus first cadence time of the stitched light curve", "BKJD time column"),
    _F("temp_n_points", "temporal", "count",
       "number of cadences kept after the quality mask, finiteness and cosmic-ray clipping",
       "FEATURES.md input conventions"),
    _F("temp_cadence_median", "temporal", "d",
       "median time between consecutive kept cadences (29.4 min = 0.02043 d for Kepler LC)",
       "Kepler Instrument Handbook KSCI-19033"),
    _F("temp_cadence_std", "temporal", "d",
       "standard deviation of the time between consecutive kept cadences within segments "
       "(gaps over 0.5 d excluded)", "numpy.std"),
    _F("temp_autocorr_1hr", "temporal", "dimensionless",
       "autocorrelation at a lag of 2 cadences (58.8 min): sum(a b) / sqrt(sum(a^2) sum(b^2)) "
       "pooled over every pair of cadences exactly 2 slots apart on the 29.4 min cadence grid "
       "(masked cadences leave holes, they never shorten the lag) inside the same continuous "
       "segment, each flux taken minus its segment's mean so that gaps and level changes do "
       "not fake correlation",
       "Box, Jenkins & Reinsel, Time Series Analysis, sect. 2.1"),
    _F("temp_autocorr_1day", "temporal", "dimensionless",
       "as temp_autocorr_1hr at a lag of 49 cadences (1.0 d)",
       "Box, Jenkins & Reinsel, sect. 2.1"),
    _F("temp_autocorr_1week", "temporal", "dimensionless",
       "as temp_autocorr_1hr at a lag of 343 cadences (7.0 d)",
       "Box, Jenkins & Reinsel, sect. 2.1"),
    _F("temp_memory_coefficient", "temporal", "dimensionless",
       "Hurst exponent by rescaled-range analysis: least-squares slope of log(mean R/S) "
       "against log(window) over non-overlapping windows of 16 cadences up to N/4 in powers "
       "of two, on the consecutive-cadence increments of the flux within continuous segments "
       "(the step across a gap dropped): about 0.5 for white-noise increments, i.e. a random "
       "walk flux (R/S is biased upward in short windows: about 0.53 for 16..16384, Anis & "
       "Lloyd 1976)",
       "Hurst 1951; Mandelbrot & Wallis 1969"),
    _F("temp_trend_strength", "temporal", "dimensionless",
       "coefficient of determination R^2 of an ordinary least-squares line flux ~ time",
       "scipy.stats.linregress (rvalue^2)"),
    _F("temp_stationarity_pvalue", "temporal", "probability",
       "p-value of the augmented Dickey-Fuller test (constant, lag order by AIC up to 12) on "
       "the mean flux in 1 d bins counted from the first cadence (empty bins skipped); small "
       "means stationary",
       "statsmodels.tsa.stattools.adfuller"),
    # --- frequency (11) -----------------------------------------------------------------
    _F("freq_dominant_period", "frequency", "d",
       "period of the highest Lomb-Scargle peak (standard normalisation) on the grid "
       "from 1/baseline to 24 d^-1", "astropy.timeseries.LombScargle"),
    _F("freq_dominant_power", "frequency", "dimensionless",
       "Lomb-Scargle power (standard normalisation, 0..1) of the highest peak",
       "astropy.timeseries.LombScargle"),
    _F("freq_period_snr", "frequency", "dimensionless",
       "highest peak power divided by the median power of the periodogram",
       "Lomb-Scargle periodogram"),
    _F("freq_n_significant_peaks", "frequency", "count",
       "number of local maxima of the periodogram at or above the power whose false-alarm "
       "probability is 0.01 (Baluev 2008 bound with fmax = 24 d^-1, as astropy "
       "false_alarm_level(method='baluev')); sidelobes of strong peaks count too",
       "Baluev 2008, MNRAS 385, 1279"),
    _F("freq_spectral_entropy", "frequency", "dimensionless",
       "Shannon entropy of the periodogram normalised to unit sum, divided by log(number of "
       "frequencies): 1 for a flat spectrum, 0 for a single line, 1 - 0.42 / ln(number of "
       "frequencies) expected for white noise",
       "Inouye et al. 1991"),
    _F("freq_low_freq_power", "frequency", "fraction",
       "fraction of the summed periodogram power at frequencies below 1 d^-1",
       "Lomb-Scargle periodogram"),
    _F("freq_high_freq_power", "frequency", "fraction",
       "fraction of the summed periodogram power at frequencies of 1 d^-1 and above",
       "Lomb-Scargle periodogram"),
    _F("freq_power_ratio", "frequency", "dimensionless",
       "freq_low_freq_power divided by freq_high_freq_power (NULL when the latter is 0)",
       "Lomb-Scargle periodogram"),
    _F("freq_harmonic_count", "frequency", "count",
       "how many of the harmonics 2f, 3f, 4f of the dominant frequency f (those up to "
       "24 d^-1) have an amplitude above 4 standard errors in a simultaneous least-squares "
       "fit of a constant and sines and cosines at f and its harmonics to the flux (a "
       "periodogram threshold at nf would count the spectral leakage of a strong f)",
       "Debosscher et al. 2007, A&A 475, 1159 (harmonic fit)"),
    _F("freq_quasi_periodic_score", "frequency", "dimensionless",
       "coherence of the dominant peak: periodogram power within 1/baseline of the peak "
       "frequency divided by that within 10/baseline; about 0.9 for a strictly periodic "
       "signal (the main lobe of the spectral window), down to about 0.1 for noise or a "
       "signal whose coherence time is much shorter than the baseline (spots, granulation, "
       "damped oscillations). Robust, unlike a half-maximum width, to the spiky "
       "periodogram of a stochastic signal",
       "e.g. McQuillan et al. 2013"),
    _F("freq_is_instrumental_alias", "frequency", "flag",
       "1.0 when the dominant frequency is within 2% (or half a resolution element, "
       "0.5/baseline, if larger) of n / P for a documented Kepler instrumental period P "
       "occurring in the observed quarters and its harmonics n = 1..3 (see "
       "lcfeat.features.frequency.INSTRUMENTAL_PERIODS), else 0.0",
       "Kepler Data Characteristics Handbook KSCI-19040"),
    # --- residual (8) -------------------------------------------------------------------
    _F("resid_after_detrend_std", "residual", "relative flux",
       "standard deviation of the detrended flux (flux / biweight trend - 1)",
       "wotan.flatten(method='biweight'), Hippke et al. 2019"),
    _F("resid_after_detrend_autocorr", "residual", "dimensionless",
       "lag-1 sample autocorrelation of the residuals over consecutive cadences in the same "
       "continuous segment: sum of (r_i - mean)(r_i+1 - mean) over those pairs divided by "
       "the sum of (r_i - mean)^2",
       "Box, Jenkins & Reinsel, sect. 2.1"),
    _F("resid_structure_score", "residual", "dimensionless",
       "mean of three numbers in [0, 1]: |resid_after_detrend_autocorr| and, for the "
       "Ljung-Box and runs-test p-values p, min(1, -log10(p) / 10): about 0.03 for white "
       "residuals (1 - p would average 0.5), 1 for strongly structured ones",
       "lcfeat definition"),
    _F("resid_power_ratio", "residual", "dimensionless",
       "variance of the residuals divided by the variance of the cleaned flux",
       "lcfeat definition"),
    _F("resid_entropy", "residual", "bit",
       "Shannon entropy of the histogram of residuals in 32 equal bins spanning the median "
       "+-5 robust sigma (1.4826 MAD; outside values in the end bins), in bits (at most 5)",
       "Shannon 1948"),
    _F("resid_run_test_pvalue", "residual", "probability",
       "two-sided p-value of the Wald-Wolfowitz runs test of residual >= median (normal "
       "approximation)", "statsmodels.sandbox.stats.runs.runstest_1samp(cutoff='median')"),
    _F("resid_ljung_box_pvalue", "residual", "probability",
       "p-value of the Ljung-Box test at lag 10 on the residuals",
       "statsmodels.stats.diagnostic.acorr_ljungbox"),
    _F("resid_complexity", "residual", "dimensionless",
       "Lempel-Ziv (1976) complexity (number of components of the exhaustive history, as "
       "counted by Kaspar & Schuster) of residual > median, computed in linear time with a "
       "suffix automaton, times log2(n) / n (about 1 for random bits, near 0 for periodic)",
       "Lempel & Ziv 1976; Kaspar & Schuster 1987, Phys. Rev. A 36, 842"),
    # --- shape (8) ----------------------------------------------------------------------
    _F("shape_n_high_excursions", "shape", "count",
       "number of cadences more than 3 robust sigma (stat_mad) above the median",
       "lcfeat definition"),
    _F("shape_n_low_excursions", "shape", "count",
       "number of cadences more than 3 robust sigma below the median", "lcfeat definition"),
    _F("shape_max_excursion_up", "shape", "robust sigma",
       "(maximum - median) / robust sigma", "lcfeat definition"),
    _F("shape_max_excursion_down", "shape", "robust sigma",
       "(median - minimum) / robust sigma", "lcfeat definition"),
    _F("shape_asymmetry", "shape", "dimensionless",
       "(n_high - n_low) / (n_high + n_low + 1) with the 3-sigma excursion counts: in (-1, 1), "
       "negative when dips dominate, finite when there are none", "lcfeat definition"),
    _F("shape_max_consecutive_up", "shape", "count",
       "longest run of consecutive cadences above the median", "lcfeat definition"),
    _F("shape_max_consecutive_down", "shape", "count",
       "longest run of consecutive cadences below the median", "lcfeat definition"),
    _F("shape_crossing_rate", "shape", "1/cadence",
       "number of sign changes of (flux - median) divided by (number of cadences - 1); "
       "cadences exactly at the median are skipped",
       "lcfeat definition"),
    # --- transit (10) -------------------------------------------------------------------
    _F("transit_bls_power", "transit", "dimensionless",
       "signal detection efficiency of the best box: (its BLS power - mean) / std of the BLS "
       "power spectrum over all trial periods, the power of a trial being the log-likelihood "
       "gain of its best box, 0.5 (depth / depth error)^2 (Kovacs et al. 2002 SDE)",
       "Kovacs, Zucker & Mazeh 2002, A&A 391, 369"),
    _F("transit_bls_period", "transit", "d", "period of the best box", "BLS"),
    _F("transit_bls_depth", "transit", "relative flux",
       "depth of the best box: mean out-of-transit minus mean in-transit detrended flux",
       "astropy BoxLeastSquares depth"),
    _F("transit_bls_duration", "transit", "d", "duration of the best box", "BLS"),
    _F("transit_n_detected", "transit", "count",
       "number of transit epochs of the best period with at least one in-transit cadence "
       "(transit_n_transits in old notes)", "lcfeat definition"),
    _F("transit_depth_consistency", "transit", "dimensionless",
       "standard deviation (ddof 1) of the single-transit depths (out-of-transit mean minus "
       "the epoch's in-box mean) divided by the best-box depth; NULL with fewer than 2 "
       "transits with data",
       "lcfeat definition"),
    _F("transit_timing_consistency", "transit", "duration",
       "standard deviation (ddof 2) of the single-transit mid-times about their least-squares "
       "linear ephemeris, in units of the duration; a mid-time is the centre of the best box "
       "slid over +-D/2 in 21 steps; NULL with fewer than 3 transits with data",
       "lcfeat definition"),
    _F("transit_implied_r_planet_rjup", "transit", "R_Jup",
       "sqrt(depth) x stellar radius (KIC RADIUS of the FITS header), in Jupiter radii "
       "(R_sun / R_Jup = 9.731); NULL without a stellar radius", "Seager & Mallen-Ornelas 2003"),
    _F("transit_physically_plausible", "transit", "flag",
       "1.0 if transit_implied_r_planet_rjup <= 2, 0.0 if larger; NULL without a radius",
       "lcfeat definition"),
    _F("transit_odd_even_consistent", "transit", "flag",
       "1.0 if the pooled odd and even transit depths agree within 3 sigma (white noise from "
       "the robust scatter), else 0.0; NULL without both odd and even transits",
       "Kepler DV odd/even depth test, Twicken et al. 2018"),
    # --- centroid (4) -------------------------------------------------------------------
    _F("centroid_jitter_mean", "centroid", "pixel",
       "mean distance of each cadence's flux-weighted centroid from its quarter's median "
       "centroid", "MOM_CENTR1/MOM_CENTR2, Kepler Archive Manual KDMC-10008"),
    _F("centroid_jitter_std", "centroid", "pixel",
       "standard deviation of those distances", "MOM_CENTR1/MOM_CENTR2"),
    _F("centroid_jitter_max", "centroid", "pixel",
       "maximum of those distances", "MOM_CENTR1/MOM_CENTR2"),
    _F("centroid_rms_motion", "centroid", "pixel",
       "root mean square of the cadence-to-cadence centroid displacement within a quarter",
       "MOM_CENTR1/MOM_CENTR2"),
)

#: Stored beside the features in the same row, not among the 63.
EXTRAS: tuple[Extra, ...] = (
    Extra("transit_bls_epoch", "d (BKJD)", "mid-time of the first transit of the best box"),
    Extra("transit_bls_snr", "dimensionless",
          "depth / depth uncertainty of the best box (white noise from the residual scatter)"),
    Extra("transit_odd_even_sigma", "sigma",
          "|odd depth - even depth| / combined uncertainty"),
    Extra("transit_secondary_snr", "dimensionless",
          "depth of a box of the same duration at phase 0.5, over its uncertainty"),
)

FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
EXTRA_NAMES: tuple[str, ...] = tuple(e.name for e in EXTRAS)
BY_NAME: dict[str, Feature] = {f.name: f for f in FEATURES}


def names_in(domain: str) -> tuple[str, ...]:
    if domain not in DOMAIN_SIZES:
        raise KeyError(f"unknown domain {domain!r}")
    return tuple(f.name for f in FEATURES if f.domain == domain)


def registry_hash() -> str:
    """A short hash of names, domains and units: changes whenever the contract does."""
    text = "\n".join(f"{f.name}|{f.domain}|{f.unit}" for f in FEATURES)
    text += "\n" + "\n".join(f"{e.name}|{e.unit}" for e in EXTRAS)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _check() -> None:
    if len(FEATURE_NAMES) != len(set(FEATURE_NAMES)):
        raise AssertionError("duplicate feature names in the registry")
    for domain, size in DOMAIN_SIZES.items():
        if len(names_in(domain)) != size:
            raise AssertionError(f"domain {domain} has {len(names_in(domain))}, not {size}")
    if len(FEATURES) != 63:
        raise AssertionError(f"registry has {len(FEATURES)} features, not 63")


_check()
