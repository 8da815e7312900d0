"""A synthetic population of Kepler long-cadence light curves made from the bundled real files,
and of TESS 2-minute light curves made from the bundled real TESS files.

Every star is deterministic given (seed, kind, index): `make_star(kind, index, seed)`. Nothing
outside the repository is read: the real material is `data/archive/` (MAST layout) and
`data/tess/` (lcfeat's TESS layout). The TESS kinds are described at the end.

Time stamps
    Full-length kinds use the 64,843 real time stamps of KOI-3278 (KIC 3342467, quarters
    1-17, BKJD 131.5-1591.0) after lightkurve's default quality mask, as `read_light_curve`
    applies it: every real gap, safe mode and quarter boundary is kept, with the real
    quarter numbers, the real per-cadence flux errors (rescaled to the star's noise) and the
    real MOM_CENTR1/2 centroids, so all 63 features cost what they cost on a real target.
    `short_quarter` stars use one whole quarter of those stamps (one of Q2-Q16 spanning at
    least 80 d: 82-98 d); `short_10d` stars a 9.7-day stretch of one of those quarters (the
    length of Kepler's Q0), holding at least 90% of its cadences.

Noise (real)
    Three real noise sources, one drawn per star with equal probability: KOI-3278 (17 quarters,
    Kp 14.7, 380 ppm point-to-point), Kepler-10 (KIC 11904151 Q13, Kp 11.0, 55 ppm) and
    KIC 10001893 (Q9, Kp 15.8, faint). Each is made a noise series as follows:
    1. the cadences of its known signals are cut (Kepler-10 b and c transits, KOI-3278's
       self-lensing pulses and occultations: lcfeat's `KNOWN_SIGNALS`, +- their half widths);
    2. it is high-pass filtered: flux / running median of HIGHPASS_CADENCES (49 cadences,
       1.0 d) - 1, within segments split at gaps over SEGMENT_GAP_D (0.5 d); the
       astrophysical variability slower than a day goes (KOI-3278's 1% spots, 12.5-d
       rotation, leave ~1% of their amplitude: a 2-day window left 4%, which the block
       bootstrap turned into steps of about the noise at block joins), the noise on transit
       time scales (instrumental, granulation, outliers, non-Gaussian tails) stays: the
       scatter of 3-hour means is 1.0x (KOI-3278) and 1.1x (Kepler-10) white noise's;
    3. KIC 10001893's sdB pulsations (mostly 12-24 c/d, up to the long-cadence Nyquist) are
       fitted out: sinusoids at the highest Lomb-Scargle peak above 0.5 c/d, one at a time,
       while that peak's false-alarm probability is below PULSATION_FAP (about 20 terms);
    4. cadences within EDGE_DROP_D (0.5 d) of a segment edge are dropped (the filter is least
       constrained there, and thermal settling ramps would land mid-segment once resampled);
    5. the series is divided by its robust sigma (1.4826 MAD): unit per-cadence noise.
    A star's noise is a block bootstrap of its source: consecutive blocks of BLOCK_CADENCES
    (96 cadences, 1.96 d: longer than the filter, so every correlation it keeps is kept)
    start at random positions inside the source's segments and are laid end to end over the
    star's time stamps, then multiplied by the star's noise level, log-uniform in NOISE_PPM
    (60-600 ppm per cadence, robust sigma). Sources shorter than the star (Kepler-10, KIC
    10001893: ~90 d) are simply drawn from more often; the noise is real but never periodic.
    On 17 quarters at 200 ppm, lcfeat's best noise candidate has SNR 7.9 on KOI-3278's
    residual in place, 7-11 on its block bootstrap and 5.3 on white noise: the real noise's
    false alarms (long, shallow dips) survive the resampling, the joins add little (blocks
    five times longer give the same).

Kinds (parameters drawn by the star's own seeded generator; U = uniform, LU = log-uniform)
    quiet          noise only.
    spotted        evolving spots (`spot_modulation`): rotation LU 1-30 d, semi-amplitude
                   LU 0.1-3%, 2-6 spots visible at a time, each with a Gaussian growth and decay
                   (full width at half maximum LU 2-10 rotations), latitude U -60..60 deg,
                   differential rotation (equator-to-pole shear U 0-0.2), stellar inclination
                   isotropic within 20-90 deg; each spot's darkening averaged over a
                   rotation is cancelled (faculae): quasi-periodic, with amplitude and phase
                   evolving, harmonics from the foreshortening, never a pure sinusoid.
                   Its red noise on transit time scales is close to that of the bundled real
                   active stars at their rotation and amplitude (`bench_spot_realism.py`: the
                   real stars' is 0.94x the model's on average, 1.2x on those turning in
                   under 2 d).
    flaring        mild spots (rotation LU 0.5-10 d, semi-amplitude LU 0.05-0.5%) and flares
                   (`flare_signal`, Davenport 2014 template, integrated over the 29.4-min
                   exposure): rate of flares peaking above 0.1% LU 0.3-3 per day, peak
                   amplitudes on a power law dN/dA ~ A^-2 (cumulative index 1, as flare
                   frequency distributions) from 0.1% to 30%, FWHM LU 5-60 min.
    giant          red-giant noise (`granulation`, `oscillations`): one Harvey (Lorentzian:
                   an Ornstein-Uhlenbeck process) granulation component with time scale LU
                   0.1-2 d and rms LU 100-500 ppm; solar-like oscillations, seven radial-order
                   modes around nu_max LU 30-250 uHz spaced by Delta nu = 0.263 nu_max^0.772
                   (Stello et al. 2009), Gaussian envelope, 20-d mode lifetime, total rms
                   100 ppm x (nu_max / 30 uHz)^-0.8, attenuated by the exposure (sinc).
                   Planets are still those of a Sun-like host (durations within the search's).
    detached_eb    a diluted (blended) detached eclipsing binary and no planet: period LU
                   1-30 d, radius ratio U 0.3-0.9, total mass U 1-2 M_sun with a 1 R_sun
                   primary, impact U 0-0.8, limb-darkened primary eclipse (batman), secondary at
                   phase 0.5 with the same shape and a depth U 5-100% of the primary's; diluted
                   so that the primary's box SNR is LU 7-30. The search should report the EB's
                   period, or half of it (both eclipses in one fold) when they are similar.
    contact_eb     a W UMa-like contact binary: period LU 0.25-1 d, peak-to-peak LU 1-10%,
                   minima at phases 0 and 0.5 of unequal depth (cos 2 pi phi term U 3-20% of
                   the cos 4 pi phi term), sharpened by a cos 8 pi phi term (U 5-20%), and an
                   O'Connell asymmetry (sin 2 pi phi) of amplitude U 0-10% that drifts with a
                   period LU 50-500 d (spots): continuous, large, not strictly periodic.
    short_quarter  one quarter of quiet-ish flux: weak spots (rotation LU 2-30 d,
                   semi-amplitude LU 0.02-0.2%).
    short_10d      the same on 9.7 days.

Injected planets (INJECTED_FRACTION = 2/3 of the stars of every kind but detached_eb, whose
eclipses are the signal; the rest carry none: the false-alarm side)
    batman (Kreidberg 2015) transits of a planet around a Sun-like star (a/R* from Kepler's law
    with M_sun and R_sun, quadratic limb darkening 0.40, 0.26), integrated over the 29.4-min
    exposure (7 sub-samples), circular orbit, impact U 0-0.85: total durations 0.8-8.5 h.
    Period LU 0.5-100 d (full length), 0.5 d to 90% of a third of the baseline (one quarter:
    25-29 d; ten days: 2.9 d); epoch U over the first period; redrawn until at least
    MIN_TRANSITS_WITH_DATA (3) transits have at least half their cadences in the data, more
    than EDGE_MARGIN_D (0.25 d) from a segment edge. Radius ratio set (four rescalings) so
    the box SNR is a target LU 7-30.

Box SNR (`box_snr`): mean in-transit deficit x sqrt(N_in / n_D) / sigma_D, where N_in counts the
cadences the model dims, n_D = duration / 29.4 min, and sigma_D is the robust scatter of the
means of consecutive n_D-cadence blocks of the star's stochastic noise (the scaled real noise,
plus granulation and oscillations for giants; spots, flares and eclipses excluded). This is
lcfeat's injection convention (Kepler's expected MES with the noise at the transit duration)
applied to the noise the generator knows; for white noise it is depth x sqrt(N_in) / sigma.
`Signal.white_snr` is depth x sqrt(N_in) / (per-cadence noise) for comparison.

The flux is built as (1 - spots) x (1 + flares) x contact binary x planet or eclipses + noise
(+ granulation and oscillations), then divided by its median in each quarter (as the
archive's light curves are). `SyntheticStar.variability` is the star's own part, (1 - spots)
x (1 + flares) x contact binary over the same medians: the flux divided by it is the planet
(or nothing) plus the noise, what a perfect detrending would leave.

TESS kinds (appended to KINDS, so the Kepler kinds' stars and numbers are unchanged)
    Time stamps: the 18,264 real 2-minute stamps of pi Mensae's sector 1 (TIC 261136679,
    BTJD 1325.3-1353.2, its mid-sector downlink gap included) after lightkurve's default
    TESS quality mask, repeated once per sector TESS_SECTOR_SPACING_D (28.8 d, sector 1 to
    sector 2) apart, with those sectors' numbers; real PDCSAP_FLUX_ERR shape and MOM_CENTR1/2.
    Noise (real): the 2-minute flux of pi Mensae (Tmag 5.1, pi Men c cut), WASP-126 (Tmag
    10.6, WASP-126 b cut) and the F star TIC 38843964 (Tmag 9.9), made noise series as the
    Kepler sources are (steps 1, 2, 4, 5; the high-pass window is 1 d = 720 cadences), and
    block-bootstrapped in blocks of TESS_BLOCK_CADENCES (1,411 cadences, 1.96 d as for
    Kepler); per-cadence level log-uniform in TESS_NOISE_PPM (150-3000 ppm).
    tess_sector    one sector of weak spots (rotation LU 2-30 d, semi-amplitude LU
                   0.02-0.2%), as short_quarter.
    tess_sectors   the same over two or three consecutive sectors; for half of the stars the
                   last sector comes a year later (TESS_YEAR_SECTORS sectors on: the field
                   seen again), a gap of about 350 days.
    Planets as above (2/3 of the stars), integrated over the 2-minute exposure, periods 0.5 d
    to 90% of a third of the baseline (at most 100 d), at least three transits with data.
"""

from __future__ import annotations

import dataclasses
import math
import time as clock
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
from lcfeat_imports import KNOWN_SIGNALS, KnownSignal, LightCurve, read_light_curve

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = ROOT / "data" / "archive"
TESS_ARCHIVE = ROOT / "data" / "tess"

KINDS = (
    "quiet",
    "spotted",
    "flaring",
    "giant",
    "detached_eb",
    "contact_eb",
    "short_quarter",
    "short_10d",
    "tess_sector",
    "tess_sectors",
)
FULL_LENGTH_KINDS = KINDS[:6]
TESS_KINDS = ("tess_sector", "tess_sectors")

#: Kepler long cadence (days) and its exposure (29.4 min).
CADENCE_D = 0.0204340
EXPOSURE_D = 0.0204340
TIME_TEMPLATE_KIC = 3342467
NOISE_SOURCE_KICS = (3342467, 11904151, 10001893)
PULSATING_KIC = 10001893

#: TESS 2-minute cadence and exposure (days); the real material of the TESS kinds.
TESS_CADENCE_D = 2.0 / 1440.0
TESS_EXPOSURE_D = 2.0 / 1440.0
TESS_TIME_TEMPLATE_TIC = 261136679
TESS_NOISE_SOURCE_TICS = (261136679, 25155310, 38843964)
TESS_NOISE_PPM = (150.0, 3000.0)
#: Sector 1 to sector 2 (days, first cadences); a field seen again a year later.
TESS_SECTOR_SPACING_D = 28.81
TESS_YEAR_SECTORS = 13
TESS_HIGHPASS_CADENCES = 720
TESS_BLOCK_CADENCES = 1411
#: The bundled TESS stars' own transits, cut before their flux becomes noise: pi Men c
#: (Huang et al. 2018: P = 6.2679 d, T0 = BJD 2458325.5034 = BTJD 1325.5034) and WASP-126 b
#: (Maxted et al. 2016: P = 3.28880 d; the epoch fitted on the bundled sector).
TESS_KNOWN_SIGNALS: dict[int, tuple[KnownSignal, ...]] = {
    261136679: (KnownSignal("pi Men c", 6.2679, 1325.5034, 0.15),),
    25155310: (KnownSignal("WASP-126 b", 3.28880, 1327.5212, 0.15),),
}

HIGHPASS_CADENCES = 49
SEGMENT_GAP_D = 0.5
EDGE_DROP_D = 0.5
BLOCK_CADENCES = 96
PULSATION_FAP = 1e-3
PULSATION_MIN_FREQ = 0.5
PULSATION_MAX_TERMS = 40
NOISE_PPM = (60.0, 600.0)

#: One quarter: whole quarters of at least this span (days); ten days: Kepler's Q0 length.
QUARTER_MIN_SPAN_D = 80.0
SHORT_BASELINE_D = 9.7
SHORT_MIN_COVERAGE = 0.9

INJECTED_FRACTION = 2.0 / 3.0
SNR_RANGE = (7.0, 30.0)
PLANET_PERIOD_D = (0.5, 100.0)
#: Short light curves: periods up to this fraction of a third of the baseline.
SHORT_PERIOD_FRACTION = 0.9
IMPACT_MAX = 0.85
MIN_TRANSITS_WITH_DATA = 3
EDGE_MARGIN_D = 0.25
#: Quadratic limb darkening of a Sun-like star in the Kepler band (Claret & Bloemen 2011).
LIMB_DARKENING = (0.40, 0.26)
SUPERSAMPLE = 7

G_SI = 6.674e-11
M_SUN_KG = 1.98841e30
R_SUN_M = 6.957e8
DAY_S = 86400.0

#: Recovery (lcfeat's injection convention): period within 0.5% of P, P/2 or 2P, epoch
#: within one duration (modulo the shorter period).
PERIOD_TOLERANCE = 0.005
#: Components of a star that `make_star` can leave out (`without`).
COMPONENTS = ("spots", "flares")
ALIASES = (1.0, 0.5, 2.0)

#: Davenport (2014, ApJ 797, 122) flare template: rise polynomial (-1 <= t/t_half <= 0) and
#: double-exponential decay (t/t_half > 0).
DAVENPORT_RISE = (1.0, 1.941, -0.175, -2.246, -1.125)
DAVENPORT_DECAY = ((0.6890, 1.600), (0.3030, 0.2783))
FLARE_SUBSAMPLES = 15
#: The decay is followed this many FWHM (0.303 exp(-0.2783 x 25) ~ 3e-4 of the peak).
FLARE_TAIL_FWHM = 25.0


def log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def robust_std(x: np.ndarray) -> float:
    """1.4826 x median absolute deviation (sigma for Gaussian noise, blind to outliers)."""
    return float(1.4826 * np.median(np.abs(x - np.median(x))))


def segment_starts(time: np.ndarray, gap: float = SEGMENT_GAP_D) -> np.ndarray:
    """Start indices of the segments (split at gaps over `gap` days), followed by len(time)."""
    return np.concatenate(([0], np.flatnonzero(np.diff(time) > gap) + 1, [time.size]))


def distance_to_edge(time: np.ndarray, gap: float = SEGMENT_GAP_D) -> np.ndarray:
    """Days from every cadence to the nearer end of its segment."""
    bounds = segment_starts(time, gap)
    segment = np.repeat(np.arange(bounds.size - 1), np.diff(bounds))
    first, last = time[bounds[:-1]][segment], time[bounds[1:] - 1][segment]
    return np.minimum(time - first, last - time)


# --- real material -------------------------------------------------------------------------


@dataclass(frozen=True)
class NoiseSource:
    """Unit-sigma high-passed real flux of one star; blocks may start at `block_starts`."""

    kepler_id: int
    values: np.ndarray
    block_starts: np.ndarray


@dataclass(frozen=True)
class Templates:
    """The real material every star is made from (see the module documentation)."""

    time: np.ndarray
    quarter: np.ndarray
    flux_err_shape: np.ndarray
    centroid_col: np.ndarray | None
    centroid_row: np.ndarray | None
    noise_sources: tuple[NoiseSource, ...]

    def quarters_for_short(self) -> list[int]:
        """Quarters (2-16) whose span is at least QUARTER_MIN_SPAN_D."""
        out = []
        for q in range(2, 17):
            t = self.time[self.quarter == q]
            if t.size and t[-1] - t[0] >= QUARTER_MIN_SPAN_D:
                out.append(q)
        return out


def quarter_files(kepler_id: int, archive: Path = ARCHIVE) -> list[Path]:
    padded = f"{kepler_id:09d}"
    return sorted((archive / padded[:4] / padded).glob("kplr*_llc.fits"))


def without_known_signals(lc: LightCurve) -> tuple[np.ndarray, np.ndarray]:
    """(time, flux) of `lc` without the cadences of its KNOWN_SIGNALS events."""
    keep = np.ones(lc.n_points, dtype=bool)
    known = TESS_KNOWN_SIGNALS if lc.mission == "tess" else KNOWN_SIGNALS
    for signal in known.get(lc.kepler_id, ()):
        phase = (lc.time - signal.epoch + 0.5 * signal.period) % signal.period
        keep &= np.abs(phase - 0.5 * signal.period) > signal.half_width
    return lc.time[keep], lc.flux[keep]


def highpass(time: np.ndarray, flux: np.ndarray, cadences: int = HIGHPASS_CADENCES
             ) -> np.ndarray:
    """flux / running median over `cadences` (1 d) - 1, segment by segment."""
    from scipy.ndimage import median_filter

    bounds = segment_starts(time)
    out = np.empty_like(flux)
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        size = min(cadences, b - a)
        out[a:b] = flux[a:b] / median_filter(flux[a:b], size=size, mode="nearest") - 1.0
    return out


def remove_pulsations(time: np.ndarray, y: np.ndarray) -> np.ndarray:
    """`y` minus sinusoids at its strongest Lomb-Scargle peaks above PULSATION_MIN_FREQ c/d,
    fitted one at a time while the peak's false-alarm probability is below PULSATION_FAP."""
    from astropy.timeseries import LombScargle

    nyquist = 0.5 / CADENCE_D
    y = y.copy()
    for _ in range(PULSATION_MAX_TERMS):
        periodogram = LombScargle(time, y)
        freq, power = periodogram.autopower(
            minimum_frequency=PULSATION_MIN_FREQ, maximum_frequency=nyquist,
            samples_per_peak=10,
        )
        k = int(np.argmax(power))
        fap = periodogram.false_alarm_probability(
            power[k], minimum_frequency=PULSATION_MIN_FREQ, maximum_frequency=nyquist
        )
        if fap > PULSATION_FAP:
            break
        y -= periodogram.model(time, freq[k]) - periodogram.offset()
    return y


def noise_source(lc: LightCurve) -> NoiseSource:
    """The unit-sigma noise series of a real star (module documentation, steps 1-5)."""
    tess = lc.mission == "tess"
    block = TESS_BLOCK_CADENCES if tess else BLOCK_CADENCES
    time, flux = without_known_signals(lc)
    y = highpass(time, flux, TESS_HIGHPASS_CADENCES if tess else HIGHPASS_CADENCES)
    if lc.kepler_id == PULSATING_KIC and not tess:
        y = remove_pulsations(time, y)
    keep = distance_to_edge(time) > EDGE_DROP_D
    time, y = time[keep], y[keep] / robust_std(y[keep])
    bounds = segment_starts(time)
    starts = [np.arange(a, b - block + 1)
              for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b - a >= block]
    return NoiseSource(lc.kepler_id, y, np.concatenate(starts))


@cache
def load_templates(archive: Path = ARCHIVE) -> Templates:
    """Read the bundled files once per process (about 4 s, most of it importing lightkurve)."""
    template = read_light_curve(quarter_files(TIME_TEMPLATE_KIC, archive))
    err = template.flux_err.copy()
    for q in template.quarters:
        in_quarter = template.quarter == q
        err[in_quarter] /= np.median(err[in_quarter])
    sources = tuple(
        noise_source(template if kic == TIME_TEMPLATE_KIC
                     else read_light_curve(quarter_files(kic, archive)))
        for kic in NOISE_SOURCE_KICS
    )
    return Templates(
        time=template.time,
        quarter=template.quarter,
        flux_err_shape=err,
        centroid_col=template.centroid_col,
        centroid_row=template.centroid_row,
        noise_sources=sources,
    )


def resampled_noise(rng: np.random.Generator, source: NoiseSource, n: int,
                    block: int = BLOCK_CADENCES) -> np.ndarray:
    """`n` cadences of unit-sigma real noise: random blocks of the source laid end to end."""
    n_blocks = -(-n // block)
    starts = rng.choice(source.block_starts, size=n_blocks)
    index = starts[:, None] + np.arange(block)
    return source.values[index].ravel()[:n]


def sector_files(tic_id: int, archive: Path = TESS_ARCHIVE) -> list[Path]:
    """A bundled TESS star's 2-minute light curve (lcfeat's TESS layout)."""
    padded = f"{tic_id:016d}"
    folder = archive.joinpath(padded[0:4], padded[4:8], padded[8:12], padded[12:16])
    return sorted(p for p in folder.glob("*.fits") if "tess-spoc" not in p.name)


@cache
def load_tess_templates(archive: Path = TESS_ARCHIVE) -> Templates:
    """The real material of the TESS kinds: one sector's stamps, errors, centroids and the
    noise sources (module documentation)."""
    template = read_light_curve(sector_files(TESS_TIME_TEMPLATE_TIC, archive))
    sources = tuple(
        noise_source(template if tic == TESS_TIME_TEMPLATE_TIC
                     else read_light_curve(sector_files(tic, archive)))
        for tic in TESS_NOISE_SOURCE_TICS
    )
    return Templates(
        time=template.time,
        quarter=template.quarter,
        flux_err_shape=template.flux_err / np.median(template.flux_err),
        centroid_col=template.centroid_col,
        centroid_row=template.centroid_row,
        noise_sources=sources,
    )


# --- stellar signals -----------------------------------------------------------------------


def spot_modulation(
    rng: np.random.Generator, time: np.ndarray, rotation: float, semi_amplitude: float
) -> tuple[np.ndarray, dict[str, float]]:
    """Relative flux (around 1) of a star with evolving spots (module documentation).

    Each spot darkens the disc in proportion to its foreshortened area, max(0, mu) with
    mu = cos i sin(lat) + sin i cos(lat) cos(2 pi t / P_lat + phase), P_lat the rotation at its
    latitude, less its mean over a rotation (faculae compensate it, as on the Sun), times a
    Gaussian growth and decay; limb darkening is left out. The sum is scaled so that half the
    1-99 percentile range is `semi_amplitude`.
    """
    inclination = math.acos(rng.uniform(0.0, math.cos(math.radians(20.0))))
    lifetime = rotation * log_uniform(rng, 2.0, 10.0)  # FWHM of a spot's envelope
    width = lifetime / 2.3548
    n_visible = int(rng.integers(2, 7))
    shear = rng.uniform(0.0, 0.2)
    t0, t1 = float(time[0]) - 2.0 * lifetime, float(time[-1]) + 2.0 * lifetime
    n_spots = int(rng.poisson(n_visible * (t1 - t0) / lifetime)) + 1
    peaks = rng.uniform(t0, t1, n_spots)
    latitudes = np.radians(rng.uniform(-60.0, 60.0, n_spots))
    periods = rotation / (1.0 - shear * np.sin(latitudes) ** 2)
    phases = rng.uniform(0.0, 2.0 * np.pi, n_spots)
    sizes = rng.lognormal(0.0, 0.5, n_spots)
    deficit = np.zeros(time.size)
    lo = np.searchsorted(time, peaks - 3.0 * width)
    hi = np.searchsorted(time, peaks + 3.0 * width)
    cos_i, sin_i = math.cos(inclination), math.sin(inclination)
    around = np.linspace(0.0, 2.0 * np.pi, 64, endpoint=False)
    for k in np.flatnonzero(hi > lo):
        t = time[lo[k]:hi[k]]
        pole, equator = cos_i * np.sin(latitudes[k]), sin_i * np.cos(latitudes[k])
        mu = pole + equator * np.cos(2.0 * np.pi * (t - peaks[k]) / periods[k] + phases[k])
        # Faculae cancel the spot's darkening averaged over a rotation (as on the Sun):
        # what remains is the rotational modulation.
        mean = float(np.maximum(pole + equator * np.cos(around), 0.0).mean())
        envelope = np.exp(-0.5 * ((t - peaks[k]) / width) ** 2)
        deficit[lo[k]:hi[k]] += sizes[k] * envelope * (np.maximum(mu, 0.0) - mean)
    half_range = 0.5 * float(np.subtract(*np.percentile(deficit, [99, 1])))
    scale = semi_amplitude / half_range if half_range > 0 else 0.0
    params = {
        "rotation_d": rotation,
        "spot_semi_amplitude": semi_amplitude,
        "spot_lifetime_d": lifetime,
        "spots_visible": float(n_visible),
        "inclination_deg": math.degrees(inclination),
        "shear": shear,
    }
    return 1.0 - scale * (deficit - np.median(deficit)), params


def davenport_flare(phase: np.ndarray) -> np.ndarray:
    """Davenport (2014) flare template at `phase` = (t - t_peak) / FWHM, peak 1."""
    out = np.zeros_like(phase)
    rise = (phase >= -1.0) & (phase <= 0.0)
    out[rise] = np.polynomial.polynomial.polyval(phase[rise], DAVENPORT_RISE)
    decay = phase > 0.0
    out[decay] = sum(a * np.exp(-b * phase[decay]) for a, b in DAVENPORT_DECAY)
    return np.maximum(out, 0.0)


def flare_signal(
    rng: np.random.Generator, time: np.ndarray, rate_per_day: float,
    amplitude_range: tuple[float, float] = (1e-3, 0.3),
    fwhm_minutes: tuple[float, float] = (5.0, 60.0),
) -> tuple[np.ndarray, dict[str, float]]:
    """Relative flux added by flares (Poisson times over the baseline, gaps included): peak
    amplitudes on dN/dA ~ A^-2 within `amplitude_range`, FWHM log-uniform in `fwhm_minutes`,
    each cadence the mean of the template over its exposure."""
    a_min, a_max = amplitude_range
    n = int(rng.poisson(rate_per_day * (time[-1] - time[0])))
    peaks = rng.uniform(time[0], time[-1], n)
    amplitudes = a_min / (1.0 - rng.uniform(size=n) * (1.0 - a_min / a_max))
    fwhms = np.exp(rng.uniform(*np.log(np.array(fwhm_minutes) / 1440.0), size=n))
    out = np.zeros(time.size)
    lo = np.searchsorted(time, peaks - fwhms - EXPOSURE_D)
    hi = np.searchsorted(time, peaks + FLARE_TAIL_FWHM * fwhms + EXPOSURE_D)
    sub = (np.arange(FLARE_SUBSAMPLES) + 0.5) / FLARE_SUBSAMPLES - 0.5
    for k in np.flatnonzero(hi > lo):
        t = time[lo[k]:hi[k], None] + sub * EXPOSURE_D
        out[lo[k]:hi[k]] += amplitudes[k] * davenport_flare((t - peaks[k]) / fwhms[k]).mean(1)
    params = {
        "flare_rate_per_day": rate_per_day,
        "n_flares": float(n),
        "flare_max_amplitude": float(amplitudes.max()) if n else 0.0,
    }
    return out, params


def uniform_grid(time: np.ndarray) -> tuple[int, np.ndarray]:
    """Cadences of a gap-free grid over the baseline, and the grid index of every stamp."""
    index = np.round((time - time[0]) / CADENCE_D).astype(np.int64)
    return int(index[-1]) + 1, index


def granulation(rng: np.random.Generator, time: np.ndarray, tau: float, rms: float) -> np.ndarray:
    """An Ornstein-Uhlenbeck process (Harvey profile with exponent 2) of time scale `tau`
    days and standard deviation `rms`, simulated on the gap-free cadence grid."""
    from scipy.signal import lfilter

    n, index = uniform_grid(time)
    a = math.exp(-CADENCE_D / tau)
    kicks = rng.normal(0.0, rms * math.sqrt(1.0 - a * a), n)
    kicks[0] = rng.normal(0.0, rms)  # start in the stationary state
    return lfilter([1.0], [1.0, -a], kicks)[index]


def oscillations(
    rng: np.random.Generator, time: np.ndarray, numax_uhz: float, rms: float,
    lifetime_d: float = 20.0, orders: int = 7,
) -> np.ndarray:
    """Stochastically excited radial modes around `numax_uhz`, each a damped oscillator
    driven by white noise (an AR(2) process), total standard deviation `rms` before the
    long-cadence exposure attenuates each mode by sinc(nu x exposure)."""
    from scipy.signal import lfilter

    n, index = uniform_grid(time)
    delta_nu = 0.263 * numax_uhz**0.772
    envelope_sigma = 0.66 * numax_uhz**0.88 / 2.3548
    radius = math.exp(-CADENCE_D / lifetime_d)
    total = np.zeros(n)
    for k in range(-(orders // 2), orders // 2 + 1):
        nu = numax_uhz + k * delta_nu
        omega = 2.0 * np.pi * nu * 1e-6 * DAY_S * CADENCE_D
        mode = lfilter([1.0], [1.0, -2.0 * radius * math.cos(omega), radius**2],
                       rng.normal(size=n))
        weight = math.exp(-0.5 * (k * delta_nu / envelope_sigma) ** 2)
        attenuation = abs(np.sinc(nu * 1e-6 * EXPOSURE_D * DAY_S))
        total += weight * attenuation * mode / np.std(mode)
    norm = math.sqrt(sum(math.exp(-((k * delta_nu / envelope_sigma) ** 2))
                         for k in range(-(orders // 2), orders // 2 + 1)))
    return rms * total[index] / norm


def contact_binary(
    rng: np.random.Generator, time: np.ndarray, period: float, peak_to_peak: float
) -> tuple[np.ndarray, dict[str, float]]:
    """Relative flux of a W UMa-like contact binary (module documentation)."""
    unequal = rng.uniform(0.03, 0.20)
    sharp = rng.uniform(0.05, 0.20)
    oconnell = rng.uniform(0.0, 0.10)
    drift = log_uniform(rng, 50.0, 500.0)
    drift_phase = rng.uniform(0.0, 2.0 * np.pi)
    epoch = float(time[0]) + rng.uniform(0.0, period)
    phi = 2.0 * np.pi * (time - epoch) / period
    asymmetry = oconnell * np.cos(2.0 * np.pi * time / drift + drift_phase)
    shape = -(np.cos(2.0 * phi) + unequal * np.cos(phi) + sharp * np.cos(4.0 * phi)) \
        + asymmetry * np.sin(phi)
    fine = np.linspace(0.0, 2.0 * np.pi, 2001)
    clean = -(np.cos(2.0 * fine) + unequal * np.cos(fine) + sharp * np.cos(4.0 * fine))
    scale = peak_to_peak / float(clean.max() - clean.min())
    params = {
        "contact_period_d": period,
        "contact_peak_to_peak": peak_to_peak,
        "contact_epoch": epoch,
        "contact_unequal_minima": unequal,
        "contact_oconnell": oconnell,
    }
    return 1.0 + scale * shape, params


# --- transits and eclipses -----------------------------------------------------------------


def a_over_rs(period: float, mass_sun: float = 1.0, radius_sun: float = 1.0) -> float:
    semi_major = (G_SI * mass_sun * M_SUN_KG * (period * DAY_S) ** 2 / (4.0 * np.pi**2)) ** (1 / 3)
    return float(semi_major / (radius_sun * R_SUN_M))


def total_duration(period: float, rp: float, a_rs: float, impact: float) -> float:
    """First-to-fourth contact duration (days), circular orbit."""
    chord = max((1.0 + rp) ** 2 - impact**2, 0.0)
    sin_i = math.sqrt(max(1.0 - (impact / a_rs) ** 2, 0.0))
    return period / math.pi * math.asin(min(math.sqrt(chord) / (a_rs * sin_i), 1.0))


def batman_transit(
    time: np.ndarray, period: float, epoch: float, rp: float, a_rs: float, impact: float,
    exposure: float = EXPOSURE_D,
) -> np.ndarray:
    """Limb-darkened transit (1 out of transit) by batman, integrated over the exposure;
    only cadences within a duration of a transit are computed."""
    import batman

    model = np.ones(time.size)
    half = 0.5 * total_duration(period, rp, a_rs, impact) + exposure
    phase = (time - epoch + 0.5 * period) % period - 0.5 * period
    near = np.abs(phase) < half
    if not near.any():
        return model
    params = batman.TransitParams()
    params.t0, params.per, params.rp, params.a = epoch, period, rp, a_rs
    params.inc = math.degrees(math.acos(min(impact / a_rs, 1.0)))
    params.ecc, params.w = 0.0, 90.0
    params.u, params.limb_dark = list(LIMB_DARKENING), "quadratic"
    model[near] = batman.TransitModel(
        params, time[near], supersample_factor=SUPERSAMPLE, exp_time=exposure
    ).light_curve(params)
    return model


def block_noise(noise: np.ndarray, n_cadences: int) -> float:
    """Robust scatter of the means of consecutive `n_cadences`-cadence blocks of `noise`."""
    n_cadences = max(1, n_cadences)
    usable = noise.size // n_cadences * n_cadences
    if usable < 10 * n_cadences:
        return robust_std(noise) / math.sqrt(n_cadences)
    return robust_std(noise[:usable].reshape(-1, n_cadences).mean(axis=1))


def box_snr(deficit: np.ndarray, noise: np.ndarray, duration: float,
            cadence: float = CADENCE_D) -> tuple[float, float]:
    """(box SNR against the noise at `duration`, white-noise SNR): module documentation."""
    dimmed = deficit > 0
    n_in = int(dimmed.sum())
    if n_in == 0:
        return 0.0, 0.0
    depth = float(deficit[dimmed].mean())
    n_duration = max(1, int(round(duration / cadence)))
    snr = depth * math.sqrt(n_in / n_duration) / block_noise(noise, n_duration)
    return snr, depth * math.sqrt(n_in) / robust_std(noise)


def transits_with_data(time: np.ndarray, period: float, epoch: float, duration: float,
                       searchable: np.ndarray, cadence: float = CADENCE_D) -> int:
    """Transits with at least half their cadences among the `searchable` ones."""
    t = time[searchable]
    number = np.round((t - epoch) / period)
    inside = np.abs(t - epoch - number * period) < 0.5 * duration
    counts = np.bincount((number[inside] - number.min()).astype(np.int64))
    return int(np.count_nonzero(counts >= 0.5 * duration / cadence))


@dataclass(frozen=True)
class Signal:
    """The periodic dip the search should find: an injected planet or a detached EB."""

    source: str  # "planet" or "eclipsing binary"
    period: float
    epoch: float
    duration: float  # days, first to fourth contact
    depth: float  # mean relative deficit of the dimmed cadences (primary eclipse)
    snr: float  # box SNR (module documentation)
    white_snr: float
    n_transits: int
    rp_over_rs: float
    impact: float
    secondary_depth: float = 0.0  # EB only: mean deficit of the secondary eclipse

    def in_box(self, time: np.ndarray, half_width: float | None = None) -> np.ndarray:
        """True for the cadences within half a duration (or `half_width` days) of a
        transit's centre: its box."""
        half = 0.5 * self.duration if half_width is None else half_width
        phase = ((time - self.epoch) / self.period + 0.5) % 1.0 - 0.5
        return np.abs(phase * self.period) < half

    def is_recovered(self, period: float | None, epoch: float | None) -> bool:
        """Period within PERIOD_TOLERANCE of P, P/2 or 2P and epoch within one duration of
        a transit (of either eclipse for an EB), compared modulo the shorter period."""
        if period is None or epoch is None or not (math.isfinite(period)
                                                   and math.isfinite(epoch)):
            return False
        references = [self.epoch]
        if self.source == "eclipsing binary":
            references.append(self.epoch + 0.5 * self.period)
        for alias in ALIASES:
            expected = self.period * alias
            if abs(period - expected) <= PERIOD_TOLERANCE * expected:
                modulus = min(period, self.period)
                return any(
                    abs((epoch - ref + 0.5 * modulus) % modulus - 0.5 * modulus)
                    <= self.duration for ref in references
                )
        return False


def draw_ephemeris(
    rng: np.random.Generator, time: np.ndarray, period_range: tuple[float, float],
    duration_of: Callable[[float], float], searchable: np.ndarray, tries: int = 100,
    cadence: float = CADENCE_D,
) -> tuple[float, float, int]:
    """(period, epoch, transits with data) with at least MIN_TRANSITS_WITH_DATA transits."""
    for _ in range(tries):
        period = log_uniform(rng, *period_range)
        epoch = float(time[0]) + rng.uniform(0.0, period)
        n = transits_with_data(time, period, epoch, duration_of(period), searchable, cadence)
        if n >= MIN_TRANSITS_WITH_DATA:
            return period, epoch, n
    raise RuntimeError("no ephemeris with enough transits in the data")


def planet(
    rng: np.random.Generator, time: np.ndarray, noise: np.ndarray,
    period_range: tuple[float, float], cadence: float = CADENCE_D,
    exposure: float = EXPOSURE_D,
) -> tuple[np.ndarray, Signal]:
    """A batman planet of a Sun-like star at a box SNR drawn in SNR_RANGE."""
    impact = rng.uniform(0.0, IMPACT_MAX)
    target = log_uniform(rng, *SNR_RANGE)
    searchable = distance_to_edge(time) > EDGE_MARGIN_D
    period, epoch, n_transits = draw_ephemeris(
        rng, time, period_range,
        lambda p: total_duration(p, 0.02, a_over_rs(p), impact), searchable, cadence=cadence,
    )
    a_rs = a_over_rs(period)
    rp = 0.02
    for _ in range(4):
        duration = total_duration(period, rp, a_rs, impact)
        model = batman_transit(time, period, epoch, rp, a_rs, impact, exposure)
        snr, _ = box_snr(1.0 - model, noise, duration, cadence)
        if snr <= 0:
            break
        rp = float(np.clip(rp * math.sqrt(target / snr), 2e-3, 0.3))
    duration = total_duration(period, rp, a_rs, impact)
    model = batman_transit(time, period, epoch, rp, a_rs, impact, exposure)
    deficit = 1.0 - model
    snr, white = box_snr(deficit, noise, duration, cadence)
    n_transits = transits_with_data(time, period, epoch, duration, searchable, cadence)
    depth = float(deficit[deficit > 0].mean()) if np.any(deficit > 0) else 0.0
    return model, Signal("planet", period, epoch, duration, depth, snr, white, n_transits,
                         rp, impact)


def detached_binary(
    rng: np.random.Generator, time: np.ndarray, noise: np.ndarray
) -> tuple[np.ndarray, Signal, dict[str, float]]:
    """A diluted detached EB (module documentation): its relative flux and its Signal."""
    ratio = rng.uniform(0.3, 0.9)
    mass = rng.uniform(1.0, 2.0)
    impact = rng.uniform(0.0, 0.8)
    secondary_ratio = rng.uniform(0.05, 1.0)
    target = log_uniform(rng, *SNR_RANGE)
    searchable = distance_to_edge(time) > EDGE_MARGIN_D
    period, epoch, n_eclipses = draw_ephemeris(
        rng, time, (1.0, 30.0),
        lambda p: total_duration(p, ratio, a_over_rs(p, mass), impact), searchable,
    )
    a_rs = a_over_rs(period, mass)
    duration = total_duration(period, ratio, a_rs, impact)
    primary = 1.0 - batman_transit(time, period, epoch, ratio, a_rs, impact)
    secondary = 1.0 - batman_transit(time, period, epoch + 0.5 * period, ratio, a_rs, impact)
    undiluted = float(primary.max())
    shape_p, shape_s = primary / undiluted, secondary / undiluted
    unit_snr, _ = box_snr(shape_p, noise, duration)
    scale = target / unit_snr
    deficit = scale * shape_p
    snr, white = box_snr(deficit, noise, duration)
    dimmed = deficit > 0
    depth = float(deficit[dimmed].mean())
    flux = 1.0 - deficit - secondary_ratio * scale * shape_s
    params = {
        "eb_radius_ratio": ratio,
        "eb_total_mass": mass,
        "eb_secondary_ratio": secondary_ratio,
        "eb_dilution": scale,  # diluted / undiluted eclipse depth
    }
    signal = Signal("eclipsing binary", period, epoch, duration, depth, snr, white, n_eclipses,
                    ratio, impact, secondary_depth=secondary_ratio * depth)
    return flux, signal, params


# --- the star ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyntheticStar:
    star_id: int
    kind: str
    index: int
    light_curve: LightCurve
    noise_ppm: float
    noise_source: int  # KIC of the real noise
    signal: Signal | None
    #: Periods of the star's own variability (rotation, contact binary, EB): a found period
    #: near one of these (or its harmonics) is the star's doing, not the search's.
    own_periods: tuple[float, ...] = ()
    params: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    #: The star's own variability (spots, flares, a contact binary; not the signal, not the
    #: noise) in the units of the normalised flux, per cadence: the flux divided by it is the
    #: signal plus the noise, what a perfect detrending would leave. None for a star without
    #: any (quiet, giant, detached binary).
    variability: np.ndarray | None = None


def star_rng(kind: str, index: int, seed: int) -> np.random.Generator:
    return np.random.default_rng([seed, KINDS.index(kind), index])


def star_id(kind: str, index: int) -> int:
    """A Kepler id outside the KIC's range (1 to ~13 million): 9KK0IIIII (a TESS kind's is
    a TIC-like id of the same form)."""
    return 900_000_000 + KINDS.index(kind) * 1_000_000 + index


def time_selection(rng: np.random.Generator, kind: str, templates: Templates) -> np.ndarray:
    """Indices of the template's time stamps the star uses."""
    if kind in FULL_LENGTH_KINDS:
        return np.arange(templates.time.size)
    quarter = int(rng.choice(templates.quarters_for_short()))
    in_quarter = np.flatnonzero(templates.quarter == quarter)
    if kind == "short_quarter":
        return in_quarter
    t = templates.time[in_quarter]
    expected = SHORT_BASELINE_D / CADENCE_D
    for _ in range(100):
        start = rng.uniform(t[0], t[-1] - SHORT_BASELINE_D)
        chosen = in_quarter[(t >= start) & (t <= start + SHORT_BASELINE_D)]
        if chosen.size >= SHORT_MIN_COVERAGE * expected:
            return chosen
    raise RuntimeError(f"no {SHORT_BASELINE_D}-day stretch with data in Q{quarter}")


def quarter_medians(flux: np.ndarray, quarter: np.ndarray) -> np.ndarray:
    """Each cadence's quarter (or sector) median of `flux`: what the archive's light curves
    are divided by."""
    out = np.empty_like(flux)
    for q in np.unique(quarter):
        in_quarter = quarter == q
        out[in_quarter] = np.median(flux[in_quarter])
    return out


def normalised_by_quarter(flux: np.ndarray, quarter: np.ndarray) -> np.ndarray:
    return flux / quarter_medians(flux, quarter)


def make_star(kind: str, index: int, seed: int, templates: Templates | None = None,
              without: frozenset[str] = frozenset()) -> SyntheticStar:
    """Star `index` of `kind` for `seed` (module documentation for every range). The
    COMPONENTS named in `without` are drawn as usual but left out of the flux: the rest of
    the star (its noise, its planet) is the same to the bit, so that what each component
    costs a search can be measured (Kepler kinds: a TESS star is always made whole)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
    if not without <= set(COMPONENTS):
        raise ValueError(f"unknown components {sorted(without - set(COMPONENTS))}: of "
                         f"{', '.join(COMPONENTS)}")
    if kind in TESS_KINDS:  # their own material, whatever Kepler `templates` are given
        return make_tess_star(kind, index, seed)
    started = clock.perf_counter()
    templates = templates or load_templates()
    rng = star_rng(kind, index, seed)
    chosen = time_selection(rng, kind, templates)
    time = templates.time[chosen]
    quarter = templates.quarter[chosen]
    source = templates.noise_sources[int(rng.integers(len(templates.noise_sources)))]
    noise_level = log_uniform(rng, *NOISE_PPM) * 1e-6
    stochastic = noise_level * resampled_noise(rng, source, time.size)
    stellar = np.ones(time.size)
    params: dict[str, float] = {}
    own: list[float] = []

    if kind in ("spotted", "flaring", "short_quarter", "short_10d"):
        rotation, amplitude = {
            "spotted": ((1.0, 30.0), (1e-3, 3e-2)),
            "flaring": ((0.5, 10.0), (5e-4, 5e-3)),
        }.get(kind, ((2.0, 30.0), (2e-4, 2e-3)))
        spots, spot_params = spot_modulation(
            rng, time, log_uniform(rng, *rotation), log_uniform(rng, *amplitude))
        params.update(spot_params)
        if "spots" not in without:
            stellar *= spots
            own.append(spot_params["rotation_d"])
    if kind == "flaring":
        flares, flare_params = flare_signal(rng, time, log_uniform(rng, 0.3, 3.0))
        params.update(flare_params)
        if "flares" not in without:
            stellar *= 1.0 + flares
    if kind == "giant":
        tau, rms = log_uniform(rng, 0.1, 2.0), log_uniform(rng, 100e-6, 500e-6)
        numax = log_uniform(rng, 30.0, 250.0)
        osc_rms = 100e-6 * (numax / 30.0) ** -0.8
        # Added to the noise (at these amplitudes adding and multiplying are the same).
        stochastic = stochastic + granulation(rng, time, tau, rms) + oscillations(
            rng, time, numax, osc_rms)
        params.update(granulation_tau_d=tau, granulation_rms_ppm=rms * 1e6,
                      numax_uhz=numax, oscillation_rms_ppm=osc_rms * 1e6)
    if kind == "contact_eb":
        contact, contact_params = contact_binary(
            rng, time, log_uniform(rng, 0.25, 1.0), log_uniform(rng, 0.01, 0.10))
        stellar *= contact
        params.update(contact_params)
        own.append(contact_params["contact_period_d"])

    variability = stellar.copy() if kind in ("spotted", "flaring", "contact_eb",
                                             "short_quarter", "short_10d") else None
    signal: Signal | None = None
    if kind == "detached_eb":
        eclipses, signal, eb_params = detached_binary(rng, time, stochastic)
        stellar *= eclipses
        params.update(eb_params)
        own.append(signal.period)
    elif rng.uniform() < INJECTED_FRACTION:
        baseline = float(time[-1] - time[0])
        top = min(PLANET_PERIOD_D[1], SHORT_PERIOD_FRACTION * baseline / 3.0)
        model, signal = planet(rng, time, stochastic, (PLANET_PERIOD_D[0], top))
        stellar *= model
        own.append(signal.period)

    medians = quarter_medians(stellar + stochastic, quarter)
    flux = (stellar + stochastic) / medians
    centroids = {
        "centroid_col": None if templates.centroid_col is None else templates.centroid_col[chosen],
        "centroid_row": None if templates.centroid_row is None else templates.centroid_row[chosen],
    }
    lc = LightCurve(
        kepler_id=star_id(kind, index),
        time=time.copy(),
        flux=flux,
        flux_err=templates.flux_err_shape[chosen] * noise_level,
        quarter=quarter.copy(),
        # Sun-like header values: the host every injection assumes.
        stellar={"teff": 5778.0, "logg": 4.438, "radius": 1.0},
        **centroids,
    )
    return SyntheticStar(
        star_id=lc.kepler_id,
        kind=kind,
        index=index,
        light_curve=lc,
        noise_ppm=noise_level * 1e6,
        noise_source=source.kepler_id,
        signal=signal,
        own_periods=tuple(own),
        params=params,
        seconds=clock.perf_counter() - started,
        variability=None if variability is None else variability / medians,
    )


def tess_sectors(rng: np.random.Generator, kind: str) -> tuple[int, ...]:
    """The sectors a TESS star was observed in (module documentation)."""
    if kind == "tess_sector":
        return (1,)
    sectors = list(range(1, int(rng.integers(2, 4)) + 1))
    if rng.uniform() < 0.5:
        sectors[-1] += TESS_YEAR_SECTORS - 1
    return tuple(sectors)


def make_tess_star(kind: str, index: int, seed: int, templates: Templates | None = None
                   ) -> SyntheticStar:
    """Star `index` of a TESS kind for `seed` (module documentation, TESS kinds)."""
    started = clock.perf_counter()
    templates = templates or load_tess_templates()
    rng = star_rng(kind, index, seed)
    sectors = tess_sectors(rng, kind)
    offsets = [(sector - 1) * TESS_SECTOR_SPACING_D for sector in sectors]
    time = np.concatenate([templates.time + offset for offset in offsets])
    quarter = np.concatenate([np.full(templates.time.size, sector, dtype=np.int16)
                              for sector in sectors])
    source = templates.noise_sources[int(rng.integers(len(templates.noise_sources)))]
    noise_level = log_uniform(rng, *TESS_NOISE_PPM) * 1e-6
    stochastic = noise_level * resampled_noise(rng, source, time.size, TESS_BLOCK_CADENCES)
    spots, params = spot_modulation(rng, time, log_uniform(rng, 2.0, 30.0),
                                    log_uniform(rng, 2e-4, 2e-3))
    stellar = spots
    own = [params["rotation_d"]]
    params["n_sectors"] = float(len(sectors))
    signal: Signal | None = None
    if rng.uniform() < INJECTED_FRACTION:
        baseline = float(time[-1] - time[0])
        top = min(PLANET_PERIOD_D[1], SHORT_PERIOD_FRACTION * baseline / 3.0)
        model, signal = planet(rng, time, stochastic, (PLANET_PERIOD_D[0], top),
                               TESS_CADENCE_D, TESS_EXPOSURE_D)
        stellar = stellar * model
        own.append(signal.period)
    repeat = len(sectors)
    medians = quarter_medians(stellar + stochastic, quarter)
    lc = LightCurve(
        kepler_id=star_id(kind, index),
        time=time,
        flux=(stellar + stochastic) / medians,
        flux_err=np.tile(templates.flux_err_shape, repeat) * noise_level,
        quarter=quarter,
        centroid_col=None if templates.centroid_col is None
        else np.tile(templates.centroid_col, repeat),
        centroid_row=None if templates.centroid_row is None
        else np.tile(templates.centroid_row, repeat),
        stellar={"teff": 5778.0, "logg": 4.438, "radius": 1.0},
        mission="tess",
    )
    return SyntheticStar(
        star_id=lc.kepler_id, kind=kind, index=index, light_curve=lc,
        noise_ppm=noise_level * 1e6, noise_source=source.kepler_id, signal=signal,
        own_periods=tuple(own), params=params, seconds=clock.perf_counter() - started,
        variability=spots / medians,
    )


def population(kinds: Iterable[str], stars_per_kind: int, seed: int) -> Iterator[SyntheticStar]:
    """Every star of `kinds`, kinds interleaved (star 0 of each kind, then star 1, ...)."""
    kinds = tuple(kinds)
    for index in range(stars_per_kind):
        for kind in kinds:
            yield make_star(kind, index, seed)


def summary(star: SyntheticStar) -> dict[str, object]:
    """Flat description of a star and its signal (for tables and CSV files)."""
    out: dict[str, object] = {
        "kind": star.kind,
        "index": star.index,
        "star_id": star.star_id,
        "n_points": star.light_curve.n_points,
        "baseline_d": float(star.light_curve.time[-1] - star.light_curve.time[0]),
        "noise_ppm": star.noise_ppm,
        "noise_source_kic": star.noise_source,
        "own_periods": " ".join(f"{p:.5f}" for p in star.own_periods),
    }
    signal = star.signal
    fields = [f.name for f in dataclasses.fields(Signal)]
    for name in fields:
        out[f"injected_{name}"] = None if signal is None else getattr(signal, name)
    out.update({f"param_{k}": v for k, v in star.params.items()})
    return out
