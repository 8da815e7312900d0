"""Frequency domain (11 features): the Lomb-Scargle periodogram of the cleaned normalised flux.

The periodogram is the classic Lomb-Scargle one (mean subtracted, astropy `LombScargle(
center_data=True, fit_mean=False)`, 'standard' normalisation, power in [0, 1]) on a fixed grid:
f_k = k df with df = 1 / (OVERSAMPLING x baseline), from 1 / baseline to MAX_FREQUENCY. It is
computed in O(N + Nf log Nf) by `frequency_periodogram.lombscargle_fast`, which agrees with
astropy's exact sums to better than 1e-8 in power (measured: <= 1.3e-10 on the bundled targets,
tests/features/test_frequency.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy.special import gammaln

from lcfeat.features.frequency_periodogram import lombscargle_centred
from lcfeat.features.prepared import Prepared
from lcfeat.features.spec import Domain, DomainResult, declare
from lcfeat.lightcurve.robust import finite_cadences, median_in_place

DOMAIN = "frequency"
#: The flux this domain is computed on (docs/features.md says it for every domain).
FLUX = (
    "normalised PDCSAP flux with single-cadence cosmic rays removed (flares and dips "
    "kept); classic Lomb-Scargle "
    "periodogram (mean subtracted, no floating mean: astropy LombScargle(fit_mean=False)) on "
    "the fixed grid k / (5 x baseline) from 1/baseline to 24 d^-1 (5 points per resolution "
    "element), by a non-uniform FFT that matches astropy's exact sums"
)
FEATURES = declare(
    DOMAIN,
    ("freq_dominant_period", "d",
     "period of the highest Lomb-Scargle peak (standard normalisation) on the grid "
     "from 1/baseline to 24 d^-1", "astropy.timeseries.LombScargle"),
    ("freq_dominant_power", "dimensionless",
     "Lomb-Scargle power (standard normalisation, 0..1) of the highest peak",
     "astropy.timeseries.LombScargle"),
    ("freq_period_snr", "dimensionless",
     "highest peak power divided by the median power of the periodogram",
     "Lomb-Scargle periodogram"),
    ("freq_n_significant_peaks", "count",
     "number of local maxima of the periodogram at or above the power whose false-alarm "
     "probability is 0.01 (Baluev 2008 bound with fmax = 24 d^-1, as astropy "
     "false_alarm_level(method='baluev')); sidelobes of strong peaks count too",
     "Baluev 2008, MNRAS 385, 1279"),
    ("freq_spectral_entropy", "dimensionless",
     "Shannon entropy of the periodogram normalised to unit sum, divided by log(number of "
     "frequencies): 1 for a flat spectrum, 0 for a single line, 1 - 0.42 / ln(number of "
     "frequencies) expected for white noise",
     "Inouye et al. 1991"),
    ("freq_low_freq_power", "fraction",
     "fraction of the summed periodogram power at frequencies below 1 d^-1",
     "Lomb-Scargle periodogram"),
    ("freq_high_freq_power", "fraction",
     "fraction of the summed periodogram power at frequencies of 1 d^-1 and above",
     "Lomb-Scargle periodogram"),
    ("freq_power_ratio", "dimensionless",
     "freq_low_freq_power divided by freq_high_freq_power (NULL when the latter is 0)",
     "Lomb-Scargle periodogram"),
    ("freq_harmonic_count", "count",
     "how many of the harmonics 2f, 3f, 4f of the dominant frequency f (those up to "
     "24 d^-1) have an amplitude above 4 standard errors in a simultaneous least-squares "
     "fit of a constant and sines and cosines at f and its harmonics to the flux (a "
     "periodogram threshold at nf would count the spectral leakage of a strong f)",
     "Debosscher et al. 2007, A&A 475, 1159 (harmonic fit)"),
    ("freq_quasi_periodic_score", "dimensionless",
     "coherence of the dominant peak: periodogram power within 1/baseline of the peak "
     "frequency divided by that within 10/baseline; about 0.9 for a strictly periodic "
     "signal (the main lobe of the spectral window), down to about 0.1 for noise or a "
     "signal whose coherence time is much shorter than the baseline (spots, granulation, "
     "damped oscillations). Robust, unlike a half-maximum width, to the spiky "
     "periodogram of a stochastic signal",
     "e.g. McQuillan et al. 2013"),
    ("freq_is_instrumental_alias", "flag",
     "1.0 when the dominant frequency is within 2% (or half a resolution element, "
     "0.5/baseline, if larger) of n / P for a documented instrumental period P of the "
     "mission occurring in the observed quarters (TESS: sectors) and its harmonics n = 1..3 "
     "(see lcfeat.features.frequency.INSTRUMENTAL_PERIODS and TESS_INSTRUMENTAL_PERIODS), "
     "else 0.0",
     "Kepler Data Characteristics Handbook KSCI-19040; TESS Data Release Notes"),
)
NAMES = tuple(f.name for f in FEATURES)

#: Highest grid frequency (d^-1): just under the long-cadence Nyquist frequency, 24.47 d^-1.
MAX_FREQUENCY = 24.0
#: Grid points per frequency resolution element 1/baseline (astropy's default samples_per_peak):
#: a peak between two grid points loses at most 1 - sinc^2(0.1 pi) = 3.2% of its power.
OVERSAMPLING = 5
#: Boundary (d^-1) between the "low" and the "high" frequency power.
LOW_HIGH_SPLIT = 1.0
#: False-alarm probability below which a local maximum is significant (Baluev 2008 bound).
FALSE_ALARM_LEVEL = 0.01
#: Harmonics of the dominant frequency that are looked for.
HARMONICS = (2, 3, 4)
#: A harmonic is present when its fitted amplitude exceeds this many standard errors. Without
#: a harmonic the ratio is Rayleigh distributed: P(> 4) = exp(-8) = 3e-4 per harmonic.
HARMONIC_SIGNIFICANCE = 4.0
#: Coherence: power within +-COHERENCE_CORE resolution elements of the peak over the power
#: within +-COHERENCE_WINDOW elements.
COHERENCE_CORE = 1
COHERENCE_WINDOW = 10
#: A dominant period within this fraction of an instrumental period (or harmonic) is flagged.
ALIAS_TOLERANCE = 0.02
#: Fewer clean cadences than this give NULL.
MIN_POINTS = 16
#: Largest grid (frequencies): 24 d^-1 x 5 x 8,333 d. Kepler's longest baseline is ~1,470 d.
MAX_GRID_FREQUENCIES = 1_000_000

_YEAR = 372.5  # d, Kepler's heliocentric orbital period


@dataclass(frozen=True)
class InstrumentalPeriod:
    name: str
    period: float  # days
    reference: str
    harmonics: tuple[int, ...] = (1, 2, 3)
    #: Quarters in which the systematic occurs (None: all); flagged only if the light curve
    #: has data from one of them.
    quarters: tuple[int, ...] | None = None


#: Documented periodic Kepler systematics. Each is flagged at period / n for n in `harmonics`.
#: Not listed, because they cannot be the dominant period of this grid: the 29.4244-min long
#: cadence (0.020434 d) and its harmonics are shorter than the grid's 1/24 d, and a signal at the
#: sampling frequency itself aliases to zero frequency; there is no 12 h / 24 h day-night cycle,
#: since Kepler trails the Earth in a heliocentric orbit.
INSTRUMENTAL_PERIODS: tuple[InstrumentalPeriod, ...] = (
    InstrumentalPeriod(
        "reaction-wheel momentum desaturation, early mission", 3.0,
        "Kepler Data Characteristics Handbook KSCI-19040 (momentum dumps, quality bit 6); "
        "Kepler Mission Manager Update 2009-05-29: 'desaturations occur about every 3 days'",
    ),
    InstrumentalPeriod(
        "reaction-wheel momentum desaturation, from late 2010", 3.5,
        "Kepler Mission Manager Update 2010-12 (anomaly of 2010-12-13): desaturations "
        "'approximately every three-and-one-half days'",
    ),
    InstrumentalPeriod(
        "reaction-wheel heater cycling (focus oscillation), Q1-Q3", 3.2 / 24.0,
        "KSCI-19040 sect. 5.2 (focus changes driven by the reaction-wheel heater cycle, fixed "
        "at the end of Q3); lightkurve tutorial 'Instrumental noise #2', sect. 2.1",
        quarters=(0, 1, 2, 3),
    ),
    InstrumentalPeriod(
        "variable fine-guidance star (2.9 d), Q0-Q2", 2.9,
        "KSCI-19040 sect. 4.5 (variable FGS guide stars); lightkurve tutorial "
        "'Instrumental noise #2', sect. 2.2",
        quarters=(0, 1, 2),
    ),
    InstrumentalPeriod(
        "eclipsing-binary fine-guidance star (18.3 d), Q0-Q2", 18.3,
        "KSCI-19040 sect. 4.5; lightkurve tutorial 'Instrumental noise #2', sect. 2.2",
        quarters=(0, 1, 2),
    ),
    InstrumentalPeriod(
        "quarterly 90-degree roll (one quarter = orbit / 4)", _YEAR / 4.0,
        "Kepler Instrument Handbook KSCI-19033; KSCI-19040 (quarters and seasons): each "
        "quarter is normalised and detrended separately, so quarter-long steps remain",
    ),
    InstrumentalPeriod(
        "monthly Earth-point data downlink and thermal settling", _YEAR / 12.0,
        "KSCI-19040 (monthly downlinks, thermal recovery after Earth point); the same "
        "period as the quarter's third harmonic",
        harmonics=(1,),
    ),
    InstrumentalPeriod(
        "heliocentric orbit (season: same detector module every 4 quarters)", _YEAR,
        "KSCI-19033 (Earth-trailing orbit of 372.5 d, four seasons)",
    ),
)


#: TESS's orbit around the Earth (days): half the Moon's sidereal period.
_TESS_ORBIT = 13.7
#: Documented periodic TESS systematics (`quarters` are sectors here).
TESS_INSTRUMENTAL_PERIODS: tuple[InstrumentalPeriod, ...] = (
    InstrumentalPeriod(
        "spacecraft orbit: data downlink gap at every perigee and the scattered-light "
        "pattern of each orbit", _TESS_ORBIT,
        "TESS Science Data Products Description Document; TESS Data Release Notes (two "
        "orbits per sector, a downlink gap between them)",
    ),
    InstrumentalPeriod(
        "sector (two orbits): each sector is normalised separately, so sector-long steps "
        "remain", 2.0 * _TESS_ORBIT,
        "TESS Data Release Notes", harmonics=(1,),
    ),
    InstrumentalPeriod(
        "reaction-wheel momentum dumps every 2.5 days, sector 1", 2.5,
        "TESS Data Release Notes, sector 1 (DRN 1): momentum dumps every 2.5 days",
        quarters=(1,),
    ),
    InstrumentalPeriod(
        "reaction-wheel momentum dumps every 3.375 days, sector 13", 3.375,
        "TESS Data Release Notes, sector 13 (DRN 18): momentum dumps every 3.375 days",
        quarters=(13,),
    ),
    InstrumentalPeriod(
        "background oscillation with the Earth's rotation (1 day), sector 1", 1.0,
        "TESS Data Release Notes, sector 1: 'an oscillation in the background with a period "
        "of 1 day caused by the rotation of the Earth'",
        quarters=(1,),
    ),
)


def is_instrumental(period: float, baseline: float, quarters: set[int] | None = None,
                    mission: str = "kepler") -> bool:
    """True when 1/period is within ALIAS_TOLERANCE (fractional) or half a resolution element
    (0.5 / baseline) of n / P for a listed instrumental period P of the mission and harmonic
    n whose quarters or sectors (if it has any) meet `quarters` (None: every period
    applies)."""
    frequency = 1.0 / period
    listed = TESS_INSTRUMENTAL_PERIODS if mission == "tess" else INSTRUMENTAL_PERIODS
    for instrumental in listed:
        if (
            quarters is not None
            and instrumental.quarters is not None
            and not quarters.intersection(instrumental.quarters)
        ):
            continue
        for n in instrumental.harmonics:
            target = n / instrumental.period
            tolerance = max(ALIAS_TOLERANCE * target, 0.5 / baseline)
            if abs(frequency - target) <= tolerance:
                return True
    return False


# --- significance (Baluev 2008, as astropy's false_alarm_probability(method='baluev')) ------


def _log_gamma_factor(n: int) -> float:
    """log of astropy's _gamma(n) = sqrt(2/n) Gamma(n/2) / Gamma((n-1)/2)."""
    return 0.5 * math.log(2.0 / n) + float(gammaln(n / 2.0) - gammaln((n - 1) / 2.0))


def baluev_false_alarm_probability(z: float, n_points: int, fmax: float, time_var: float) -> float:
    """False-alarm probability of the highest peak reaching standard-normalised power z.

    Baluev 2008 (MNRAS 385, 1279) eq. 6 with Table 1, exactly as astropy implements it
    (astropy.timeseries.LombScargle.false_alarm_probability(method='baluev')).
    """
    if z <= 0.0:
        return 1.0
    if z >= 1.0:
        return 0.0
    n_null, n_model = n_points - 1, n_points - 3
    log_1mz = math.log1p(-z)
    fap_single = math.exp(0.5 * n_model * log_1mz)
    w = fmax * math.sqrt(4.0 * math.pi * time_var)
    tau = math.exp(
        _log_gamma_factor(n_null) + 0.5 * (n_model - 1) * log_1mz + 0.5 * math.log(0.5 * n_null * z)
    ) * w
    return -math.expm1(-tau) + fap_single * math.exp(-tau)


def significance_threshold(fap: float, n_points: int, fmax: float, time_var: float) -> float:
    """The power whose Baluev false-alarm probability is `fap` (1.0 if none is that low)."""

    def excess(z: float) -> float:
        return baluev_false_alarm_probability(z, n_points, fmax, time_var) - fap

    low, high = 1e-15, 1.0 - 1e-15
    if excess(high) > 0.0:
        return 1.0
    if excess(low) < 0.0:
        return low
    # Bisection (the probability falls as z grows) to scipy brentq's tolerances: importing
    # scipy.optimize for one root would cost every process half a second of start-up.
    while high - low > 1e-15 + 1e-12 * high:
        middle = 0.5 * (low + high)
        if excess(middle) > 0.0:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)


# --- periodogram summaries -------------------------------------------------------------------


@njit(cache=True)
def _spectrum_summary(
    power: np.ndarray, split: int, threshold: float
) -> tuple[int, float, float, float, int]:
    """One pass: index of the (first) maximum, total, sum p ln p, power below `split`, and the
    number of local maxima (p[i-1] < p[i] >= p[i+1]; ends compared to their one neighbour) at
    or above `threshold`."""
    n = power.size
    best = 0
    total = 0.0
    p_log_p = 0.0
    low = 0.0
    peaks = 0
    for i in range(n):
        p = power[i]
        if p > power[best]:
            best = i
        total += p
        if p > 0.0:
            p_log_p += p * np.log(p)
        if i < split:
            low += p
        if p >= threshold:
            left = i == 0 or power[i - 1] < p
            right = i == n - 1 or p >= power[i + 1]
            if left and right:
                peaks += 1
    return best, total, p_log_p, low, peaks


@njit(cache=True)
def _harmonic_sums(
    t_rel: np.ndarray, y: np.ndarray, frequency: float, n_harm: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """sum cos(m w t), sum sin(m w t) for m = 0..2 n_harm and sum y cos(m w t), sum y sin(m w t)
    for m = 0..n_harm: all the normal equations of the harmonic fit need.

    One sequential pass (no BLAS), so the result does not depend on the number of threads.
    """
    m_max = 2 * n_harm
    wc = np.zeros(m_max + 1)
    ws = np.zeros(m_max + 1)
    yc = np.zeros(n_harm + 1)
    ys = np.zeros(n_harm + 1)
    omega = 2.0 * np.pi * frequency
    for j in range(t_rel.size):
        c1 = np.cos(omega * t_rel[j])
        s1 = np.sin(omega * t_rel[j])
        yj = y[j]
        yc[0] += yj
        cm, sm = c1, s1
        for m in range(1, n_harm + 1):
            wc[m] += cm
            ws[m] += sm
            yc[m] += yj * cm
            ys[m] += yj * sm
            cm, sm = cm * c1 - sm * s1, sm * c1 + cm * s1
        for m in range(n_harm + 1, m_max + 1):
            wc[m] += cm
            ws[m] += sm
            cm, sm = cm * c1 - sm * s1, sm * c1 + cm * s1
    wc[0] = t_rel.size
    return wc, ws, yc, ys


def harmonic_normal_equations(
    t_rel: np.ndarray, y: np.ndarray, frequency: float, n_harm: int
) -> tuple[np.ndarray, np.ndarray]:
    """X'X and X'y for the columns 1, cos(w t), sin(w t), ..., cos(n_harm w t), sin(n_harm w t).

    From the trigonometric sums by the product formulae: cos a cos b = (cos(a-b) + cos(a+b))/2,
    sin a sin b = (cos(a-b) - cos(a+b))/2, cos a sin b = (sin(a+b) - sin(a-b))/2.
    """
    wc, ws, yc, ys = _harmonic_sums(t_rel, y, frequency, n_harm)

    def sin_sum(m: int) -> float:
        return float(ws[m]) if m >= 0 else -float(ws[-m])

    p = 1 + 2 * n_harm
    xtx = np.empty((p, p))
    xty = np.empty(p)
    xtx[0, 0] = wc[0]
    xty[0] = yc[0]
    for a in range(1, n_harm + 1):
        cos_a, sin_a = 2 * a - 1, 2 * a
        xtx[0, cos_a] = xtx[cos_a, 0] = wc[a]
        xtx[0, sin_a] = xtx[sin_a, 0] = ws[a]
        xty[cos_a], xty[sin_a] = yc[a], ys[a]
        for b in range(1, n_harm + 1):
            cos_b, sin_b = 2 * b - 1, 2 * b
            xtx[cos_a, cos_b] = 0.5 * (wc[abs(a - b)] + wc[a + b])
            xtx[sin_a, sin_b] = 0.5 * (wc[abs(a - b)] - wc[a + b])
            xtx[cos_a, sin_b] = xtx[sin_b, cos_a] = 0.5 * (ws[a + b] - sin_sum(a - b))
    return xtx, xty


def harmonic_count(t_rel: np.ndarray, y: np.ndarray, frequency: float) -> int | None:
    """How many of 2f, 3f, 4f (those <= MAX_FREQUENCY) have a significant amplitude in a
    simultaneous least-squares fit of a harmonic series at f; None when the fit is degenerate."""
    n_harm = 1 + sum(1 for n in HARMONICS if n * frequency <= MAX_FREQUENCY)
    p = 1 + 2 * n_harm
    if y.size <= p:
        return None
    xtx, xty = harmonic_normal_equations(t_rel, y, frequency, n_harm)
    if np.linalg.cond(xtx) > 1e10:
        return None
    inverse = np.linalg.inv(xtx)
    beta = inverse @ xty
    # RSS = y'y - beta'X'y; the floor keeps a noise-free fit from dividing rounding by zero.
    yy = float(np.sum(y * y))
    rss = max(yy - float(np.sum(beta * xty)), 1e-12 * yy)
    sigma2 = rss / (y.size - p)
    count = 0
    for h in range(2, n_harm + 1):
        i_cos, i_sin = 2 * h - 1, 2 * h
        a, b = beta[i_cos], beta[i_sin]
        component_var = 0.5 * sigma2 * (inverse[i_cos, i_cos] + inverse[i_sin, i_sin])
        if math.hypot(a, b) > HARMONIC_SIGNIFICANCE * math.sqrt(component_var):
            count += 1
    return count


def _coherence(power: np.ndarray, best: int) -> float:
    """Power within COHERENCE_CORE resolution elements of the peak over that within
    COHERENCE_WINDOW elements (the peak itself is > 0, so the ratio is defined)."""
    core = COHERENCE_CORE * OVERSAMPLING
    wide = COHERENCE_WINDOW * OVERSAMPLING
    inner = float(np.sum(power[max(0, best - core) : best + core + 1]))
    outer = float(np.sum(power[max(0, best - wide) : best + wide + 1]))
    return inner / outer if outer > 0.0 else 1.0


# --- the domain ------------------------------------------------------------------------------


def _grid(baseline: float) -> tuple[float, int, int]:
    """Grid step df and the first and last k of the frequencies k df."""
    df = 1.0 / (OVERSAMPLING * baseline)
    k_last = int(math.floor(MAX_FREQUENCY / df * (1.0 + 1e-12)))
    return df, OVERSAMPLING, k_last


def frequency_features(
    time: np.ndarray, flux: np.ndarray, quarters: set[int] | None = None,
    mission: str = "kepler",
) -> DomainResult:
    """The 11 features of finite `time` (d) and `flux`; `quarters` (TESS: sectors) and
    `mission` select the instrumental periods that apply (quarters None: all)."""
    n = int(time.size)
    if n < MIN_POINTS:
        return DomainResult.all_null(
            NAMES, f"{n} clean cadences, fewer than the {MIN_POINTS} the periodogram needs")
    baseline = float(time.max() - time.min())
    if not baseline > 0.0:
        return DomainResult.all_null(
            NAMES, "all cadences at one time: no baseline for a periodogram")
    n_frequencies = OVERSAMPLING * MAX_FREQUENCY * baseline
    if n_frequencies > MAX_GRID_FREQUENCIES:
        return DomainResult.all_null(NAMES,
            f"baseline {baseline:.6g} d needs a grid of {n_frequencies:.3g} frequencies, over the "
            f"{MAX_GRID_FREQUENCIES} allowed (Kepler's longest baseline is about 1,470 d)"
        )
    df, k_first, k_last = _grid(baseline)
    if k_last - k_first < 2:
        return DomainResult.all_null(
            NAMES, f"baseline {baseline:.6g} d is too short for a grid reaching 24 d^-1")
    # The standard-normalised power is scale-free: scale to [-1, 1] so nothing can overflow.
    scale = float(np.max(np.abs(flux)))
    y = flux / scale if scale > 0.0 else flux.copy()
    y -= y.mean()
    if not np.any(y):
        return DomainResult.all_null(NAMES, "constant flux: the periodogram is undefined")

    t_rel = time - time.min()
    power = lombscargle_centred(t_rel, y, df, k_first, k_last)
    threshold = significance_threshold(FALSE_ALARM_LEVEL, n, k_last * df, float(np.var(t_rel)))
    split = max(0, min(power.size, math.ceil(LOW_HIGH_SPLIT / df - 1e-9) - k_first))
    best, total, p_log_p, low, n_peaks = _spectrum_summary(power, split, threshold)
    peak_frequency = (k_first + best) * df
    peak_power = float(power[best])

    result = DomainResult({})
    result.values["freq_dominant_period"] = 1.0 / peak_frequency
    result.values["freq_dominant_power"] = peak_power
    result.values["freq_n_significant_peaks"] = float(n_peaks)
    if total > 0.0:
        # H = -sum p_i ln p_i with p_i = P_i / total, = ln(total) - sum P ln P / total.
        entropy = (math.log(total) - p_log_p / total) / math.log(power.size)
        result.values["freq_spectral_entropy"] = min(max(entropy, 0.0), 1.0)
        high = total - low
        result.values["freq_low_freq_power"] = low / total
        result.values["freq_high_freq_power"] = high / total
        if high > 0.0:
            result.values["freq_power_ratio"] = low / high
        else:
            result.set_null(("freq_power_ratio",), "no power at or above 1 d^-1")
        result.values["freq_quasi_periodic_score"] = _coherence(power, best)
    else:
        result.set_null(
            ("freq_spectral_entropy", "freq_low_freq_power", "freq_high_freq_power",
             "freq_power_ratio", "freq_quasi_periodic_score"),
            "the periodogram is zero everywhere",
        )
    harmonics = harmonic_count(t_rel, y, peak_frequency)
    if harmonics is None:
        result.set_null(("freq_harmonic_count",),
                        "the harmonic fit at the dominant frequency is degenerate")
    else:
        result.values["freq_harmonic_count"] = float(harmonics)
    result.values["freq_is_instrumental_alias"] = float(
        is_instrumental(1.0 / peak_frequency, baseline, quarters, mission)
    )
    # Last, as it reorders `power` in place (a copy would be one more large array to fault in).
    median = median_in_place(power)
    if median > 0.0:
        result.values["freq_period_snr"] = peak_power / median
    else:
        result.set_null(("freq_period_snr",), "median periodogram power is 0")
    return result


def compute(prepared: Prepared) -> DomainResult:
    with np.errstate(all="ignore"):  # overflow on absurd input becomes NULL in the policy
        time, flux = finite_cadences(prepared.time, prepared.flux)
        quarters = {int(q) for q in np.unique(prepared.quarter)}
        return frequency_features(time, flux, quarters, prepared.lc.mission)


SPEC = Domain(DOMAIN, FLUX, FEATURES, compute)
