"""The vetting sheet of one star: its transit search on one page, as the Kepler Data Validation
one-page summary shows a threshold-crossing event.

Panels: the stitched light curve with the candidate's transits marked; the detrended flux the
search ran on; the transit periodogram with the chosen peak; the light curve folded on the
candidate (points, bins, the box); odd and even transits side by side; the phase of a
secondary eclipse; the Lomb-Scargle periodogram; and the numbers (period, epoch, depth,
duration, SNR, SDE, odd-even sigma, secondary SNR, implied radius).

The numbers are a feature row: the one `lcfeat.extract_features` computes now, or the one
stored in a database (`lcfeat plot --db`), and every panel is drawn at that row's period,
epoch and duration. The periodogram and the detrended flux come from the search itself
(`lcfeat.search.transits.search_transits` on the flux the transit features search). Drawn with
matplotlib's object API on the Agg canvas (no pyplot state, no display). Each panel carries a
`gid` ("light_curve", "detrended", "bls_periodogram", "folded", "odd", "even", "secondary",
"lomb_scargle", "numbers") and so do the artists holding its data, so what is drawn can be
checked.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from lcfeat.lightcurve.model import LightCurve
from lcfeat.search.transits import NotSearchableError, TransitSearch, search_transits

#: Jupiter's equatorial radius over Earth's (IAU 2015: 71,492 / 6,378.1 km).
R_JUP_OVER_R_EARTH = 71_492.0 / 6_378.1
#: Half-width of the folded, odd/even and secondary panels, in transit durations.
WINDOW_DURATIONS = 3.0
#: Bins per transit duration in the folded panels.
BINS_PER_DURATION = 5
DATA_COLOUR = "#8c8c8c"
BIN_COLOUR = "#d95f02"
MODEL_COLOUR = "#c51b1b"
MARK_COLOUR = "#c51b1b"
PPM = 1e6
#: The periodogram's marked peak is its highest trial within this fraction of the period.
PEAK_TOLERANCE = 2e-3


@dataclass(frozen=True)
class Ephemeris:
    """Where the sheet folds: period and epoch (BKJD) in days, duration in days, depth."""

    period: float
    epoch: float
    duration: float
    depth: float

    @classmethod
    def from_numbers(cls, numbers: Mapping[str, Any]) -> Ephemeris | None:
        values = [numbers.get(name) for name in ("transit_bls_period", "transit_bls_epoch",
                                                  "transit_bls_duration", "transit_bls_depth")]
        if any(v is None or not math.isfinite(float(v)) for v in values):
            return None
        period, epoch, duration, depth = map(float, values)
        return cls(period, epoch, duration, depth) if period > 0 and duration > 0 else None

    def phase(self, time: np.ndarray, offset: float = 0.0) -> np.ndarray:
        """Days from the nearest transit centre (shifted by `offset` x period)."""
        centre = self.epoch + offset * self.period
        return (time - centre + 0.5 * self.period) % self.period - 0.5 * self.period

    def epoch_number(self, time: np.ndarray) -> np.ndarray:
        return np.round((time - self.epoch) / self.period).astype(np.int64)

    def transit_times(self, start: float, stop: float) -> np.ndarray:
        first = math.ceil((start - self.epoch) / self.period)
        last = math.floor((stop - self.epoch) / self.period)
        return self.epoch + self.period * np.arange(first, last + 1)

    @property
    def half_window(self) -> float:
        return min(WINDOW_DURATIONS * self.duration, 0.5 * self.period)


def binned(x: np.ndarray, y: np.ndarray, width: float, half_window: float
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centres, means and standard errors of `y` in bins of `width` over +-half_window."""
    n_bins = max(1, int(round(2 * half_window / width)))
    edges = np.linspace(-half_window, half_window, n_bins + 1)
    index = np.digitize(x, edges) - 1
    inside = (index >= 0) & (index < n_bins)
    counts = np.bincount(index[inside], minlength=n_bins)
    sums = np.bincount(index[inside], weights=y[inside], minlength=n_bins)
    squares = np.bincount(index[inside], weights=y[inside] ** 2, minlength=n_bins)
    filled = counts > 0
    means = sums[filled] / counts[filled]
    variance = np.maximum(squares[filled] / counts[filled] - means**2, 0.0)
    errors = np.sqrt(variance / np.maximum(counts[filled] - 1, 1))
    centres = 0.5 * (edges[:-1] + edges[1:])
    return centres[filled], means, errors


def box_depth(phase: np.ndarray, y: np.ndarray, duration: float, sigma: float
              ) -> tuple[float, float, int]:
    """Depth of a box of `duration` centred at phase 0 (out-of-box median minus in-box
    mean), its white-noise error from `sigma`, and the cadences in the box."""
    inside = np.abs(phase) < 0.5 * duration
    n_in = int(np.count_nonzero(inside))
    if n_in == 0 or n_in == phase.size:
        return math.nan, math.nan, n_in
    depth = float(np.median(y[~inside]) - np.mean(y[inside]))
    return depth, sigma / math.sqrt(n_in), n_in


def search_of(lc: LightCurve) -> TransitSearch:
    """The transit search the transit features run: on the prepared (cosmic-ray cut) flux."""
    from lcfeat.features.prepared import Prepared

    prepared = Prepared(lc)
    return search_transits(prepared.time, prepared.flux)


def _number(numbers: Mapping[str, Any], name: str) -> float | None:
    value = numbers.get(name)
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _fmt(value: float | None, spec: str, unit: str = "") -> str:
    return "NULL" if value is None else f"{value:{spec}}{unit}"


def _scatter(axes: Any, x: np.ndarray, y: np.ndarray, gid: str, **style: Any) -> None:
    style = {"s": 1.0, "color": DATA_COLOUR, "linewidths": 0, "rasterized": True, **style}
    axes.scatter(x, y, gid=gid, **style)


def _robust_limits(y: np.ndarray, depth_floor: float = 0.0) -> tuple[float, float]:
    low, high = np.percentile(y, [0.5, 99.5]) if y.size else (-1.0, 1.0)
    low = min(low, -1.3 * depth_floor) if depth_floor > 0 else low
    pad = 0.08 * (high - low) if high > low else 1.0
    return float(low - pad), float(high + pad)


def _panel_light_curve(axes: Any, lc: LightCurve, ephemeris: Ephemeris | None) -> None:
    axes.set_gid("light_curve")
    for i, quarter in enumerate(lc.quarters):
        times = lc.time[lc.quarter == quarter]
        if i % 2 and times.size:
            axes.axvspan(times[0], times[-1], color="#f0f0f0", zorder=0)
    flux = (lc.flux - 1.0) * PPM
    _scatter(axes, lc.time, flux, "light_curve-points", color="#3b3b3b")
    low, high = _robust_limits(flux)
    axes.set_ylim(low, high)
    if ephemeris is not None and lc.n_points:
        marks = ephemeris.transit_times(lc.time[0], lc.time[-1])
        axes.plot(marks, np.full(marks.size, low + 0.04 * (high - low)), "^",
                  color=MARK_COLOUR, markersize=4, gid="light_curve-transits")
    quarters = ", ".join(map(str, lc.quarters)) if len(lc.quarters) <= 6 else (
        f"{lc.quarters[0]}-{lc.quarters[-1]} ({len(lc.quarters)} quarters)")
    axes.set_title(f"PDCSAP flux, each quarter divided by its median (Q{quarters}); "
                   "triangles: transits of the candidate", fontsize=8, loc="left")
    axes.set_ylabel("flux - 1 [ppm]", fontsize=8)


def _panel_detrended(axes: Any, found: TransitSearch | None, ephemeris: Ephemeris | None,
                     reason: str) -> None:
    axes.set_gid("detrended")
    if found is None:
        axes.text(0.5, 0.5, f"no transit search: {reason}", ha="center", va="center",
                  transform=axes.transAxes, fontsize=9)
        return
    y = found.y * PPM
    _scatter(axes, found.time, y, "detrended-points", color="#3b3b3b")
    depth = ephemeris.depth * PPM if ephemeris else 0.0
    low, high = _robust_limits(y, depth)
    axes.set_ylim(low, high)
    if ephemeris is not None:
        marks = ephemeris.transit_times(found.time[0], found.time[-1])
        axes.plot(marks, np.full(marks.size, low + 0.04 * (high - low)), "^",
                  color=MARK_COLOUR, markersize=4, gid="detrended-transits")
    axes.set_title("detrended flux searched for transits (flux / biweight trend - 1, flares "
                   "cut)", fontsize=8, loc="left")
    axes.set_ylabel("[ppm]", fontsize=8)
    axes.set_xlabel("time [BKJD = BJD - 2454833]", fontsize=8)


def _panel_periodogram(axes: Any, found: TransitSearch | None,
                       ephemeris: Ephemeris | None, sde: float | None) -> None:
    axes.set_gid("bls_periodogram")
    if found is None:
        axes.text(0.5, 0.5, "no periodogram", ha="center", va="center",
                  transform=axes.transAxes, fontsize=8)
        return
    periods, power = np.asarray(found.periods), np.asarray(found.power)
    axes.plot(periods, power, color="#1f4e79", linewidth=0.5, gid="bls_periodogram-power",
              rasterized=True)
    axes.set_xscale("log")
    if ephemeris is not None:
        for factor in (0.5, 2.0):
            axes.axvline(ephemeris.period * factor, color="#999999", linestyle=":",
                         linewidth=0.8)
        # The grid is fine: the peak is the highest trial within 0.2% of the period.
        near = np.abs(periods / ephemeris.period - 1.0) < PEAK_TOLERANCE
        peak = float(power[near].max()) if near.any() else float(
            power[np.argmin(np.abs(periods - ephemeris.period))])
        axes.plot([ephemeris.period], [peak], "v", color=MARK_COLOUR, markersize=7,
                  gid="bls_periodogram-peak", markeredgecolor="white")
        axes.annotate(f"P = {ephemeris.period:.5f} d" + (f"\nSDE {sde:.1f}" if sde else ""),
                      (ephemeris.period, peak), xytext=(6, 0), textcoords="offset points",
                      fontsize=7, va="top", color=MARK_COLOUR)
    axes.set_title("transit periodogram (BLS); dotted: P/2, 2P", fontsize=8, loc="left")
    axes.set_xlabel("period [d]", fontsize=8)
    axes.set_ylabel("power (log-likelihood)", fontsize=8)


def _fold_panel(axes: Any, phase: np.ndarray, y: np.ndarray, ephemeris: Ephemeris, gid: str,
                depth: float | None, colour: str = BIN_COLOUR) -> None:
    """Points, bins and (when `depth` is given) the box, in hours and ppm."""
    half = ephemeris.half_window
    near = np.abs(phase) <= half
    hours, ppm = phase[near] * 24.0, y[near] * PPM
    axes.set_gid(gid)
    _scatter(axes, hours, ppm, f"{gid}-points", s=2.0)
    width = ephemeris.duration / BINS_PER_DURATION
    centres, means, errors = binned(phase[near], y[near], width, half)
    axes.errorbar(centres * 24.0, means * PPM, yerr=errors * PPM, fmt="o", markersize=3,
                  color=colour, elinewidth=0.8, gid=f"{gid}-bins")
    if depth is not None and math.isfinite(depth):
        edge = 0.5 * ephemeris.duration * 24.0
        level = float(np.median(y[near][np.abs(phase[near]) >= 0.5 * ephemeris.duration])
                      ) if np.any(np.abs(phase[near]) >= 0.5 * ephemeris.duration) else 0.0
        axes.plot([-half * 24, -edge, -edge, edge, edge, half * 24],
                  np.array([level, level, level - depth, level - depth, level, level]) * PPM,
                  color=MODEL_COLOUR, linewidth=1.2, gid=f"{gid}-box")
    axes.set_xlim(-half * 24.0, half * 24.0)
    if ppm.size:
        span = (depth or 0.0) * PPM
        low, high = _robust_limits(ppm, span)
        axes.set_ylim(low, high)
    axes.tick_params(labelsize=7)


def _panel_folded(axes: Any, found: TransitSearch, ephemeris: Ephemeris) -> None:
    _fold_panel(axes, ephemeris.phase(found.time), found.y, ephemeris, "folded",
                ephemeris.depth)
    axes.set_title(f"folded on P = {ephemeris.period:.5f} d, epoch BKJD {ephemeris.epoch:.4f}"
                   f"; bins of {ephemeris.duration * 24 / BINS_PER_DURATION:.2f} h, box of "
                   "the candidate", fontsize=8, loc="left")
    axes.set_xlabel("hours from mid-transit", fontsize=8)
    axes.set_ylabel("detrended flux [ppm]", fontsize=8)


def _panel_odd_even(odd_axes: Any, even_axes: Any, found: TransitSearch,
                    ephemeris: Ephemeris, sigma_oe: float | None) -> None:
    phase = ephemeris.phase(found.time)
    number = ephemeris.epoch_number(found.time)
    for axes, parity, name in ((odd_axes, 1, "odd"), (even_axes, 0, "even")):
        chosen = number % 2 == parity
        depth, error, n_in = box_depth(phase[chosen], found.y[chosen], ephemeris.duration,
                                       found.sigma)
        _fold_panel(axes, phase[chosen], found.y[chosen], ephemeris, name,
                    depth if n_in else None, colour="#1b9e77" if parity else "#7570b3")
        text = (f"{name} transits: depth {depth * PPM:.0f} +- {error * PPM:.0f} ppm"
                if n_in else f"{name} transits: no data in the box")
        axes.set_title(text, fontsize=8, loc="left")
        axes.set_xlabel("hours from mid-transit", fontsize=8)
    even_axes.sharey(odd_axes)
    even_axes.tick_params(labelleft=False)
    odd_axes.set_ylabel("detrended flux [ppm]", fontsize=8)
    if sigma_oe is not None:
        odd_axes.text(0.02, 0.04, f"odd - even: {sigma_oe:.1f} sigma", fontsize=8,
                      transform=odd_axes.transAxes, color=MARK_COLOUR)


def _panel_secondary(axes: Any, found: TransitSearch, ephemeris: Ephemeris,
                     secondary_snr: float | None) -> None:
    phase = ephemeris.phase(found.time, offset=0.5)
    depth, error, n_in = box_depth(phase, found.y, ephemeris.duration, found.sigma)
    _fold_panel(axes, phase, found.y, ephemeris, "secondary", depth if n_in else None,
                colour="#7570b3")
    snr = f"SNR {secondary_snr:.1f}" if secondary_snr is not None else "SNR NULL"
    axes.set_title(f"phase 0.5 (secondary): depth {depth * PPM:.0f} ppm, {snr}"
                   if n_in else "phase 0.5: no data", fontsize=8, loc="left")
    axes.set_xlabel("hours from phase 0.5", fontsize=8)


def _panel_lomb_scargle(axes: Any, lc: LightCurve, dominant: float | None) -> None:
    from astropy.timeseries import LombScargle

    axes.set_gid("lomb_scargle")
    if lc.n_points < 10:
        return
    baseline = float(lc.time[-1] - lc.time[0])
    cadence = float(np.median(np.diff(lc.time)))
    frequency, power = LombScargle(lc.time, lc.flux).autopower(
        method="fast", minimum_frequency=1.0 / baseline, maximum_frequency=0.5 / cadence,
        samples_per_peak=5)
    axes.plot(1.0 / frequency, power, color="#1f4e79", linewidth=0.6,
              gid="lomb_scargle-power", rasterized=True)
    axes.set_xscale("log")
    if dominant is not None:
        axes.axvline(dominant, color=MARK_COLOUR, linestyle="--", linewidth=0.9,
                     gid="lomb_scargle-dominant")
        axes.annotate(f"{dominant:.3g} d", (dominant, 0.95), xycoords=("data", "axes fraction"),
                      xytext=(4, 0), textcoords="offset points", fontsize=7, color=MARK_COLOUR,
                      va="top")
    axes.set_title("Lomb-Scargle; dashed: dominant period", fontsize=8, loc="left")
    axes.set_xlabel("period [d]", fontsize=8)
    axes.set_ylabel("power", fontsize=8)
    axes.tick_params(labelsize=7)


def numbers_text(numbers: Mapping[str, Any], stellar: Mapping[str, float]) -> list[str]:
    """The lines of the numbers panel."""
    get = lambda name: _number(numbers, name)  # noqa: E731
    duration = get("transit_bls_duration")
    depth = get("transit_bls_depth")
    radius_jup = get("transit_implied_r_planet_rjup")
    plausible = get("transit_physically_plausible")
    vetted = get("transit_vetted")
    lines = [
        f"period        {_fmt(get('transit_bls_period'), '.6f', ' d')}",
        f"epoch         BKJD {_fmt(get('transit_bls_epoch'), '.5f')}",
        f"depth         {_fmt(None if depth is None else depth * PPM, '.0f', ' ppm')}",
        f"duration      {_fmt(None if duration is None else duration * 24, '.2f', ' h')}",
        f"SNR           {_fmt(get('transit_bls_snr'), '.1f')}",
        f"SDE           {_fmt(get('transit_bls_power'), '.1f')}",
        "vetted        " + ("NULL" if vetted is None else "yes" if vetted == 1.0 else
                            "no (a vetting test failed)"),
        f"transits      {_fmt(get('transit_n_detected'), '.0f', ' with data')}",
        f"odd-even      {_fmt(get('transit_odd_even_sigma'), '.2f', ' sigma')}",
        f"secondary     SNR {_fmt(get('transit_secondary_snr'), '.1f')}",
        f"depth scatter {_fmt(get('transit_depth_consistency'), '.2f', ' x depth')}",
        f"timing rms    {_fmt(get('transit_timing_consistency'), '.2f', ' x duration')}",
    ]
    if radius_jup is None:
        lines.append("radius        NULL (no R*)")
    else:
        lines.append(f"radius        {radius_jup:.3f} RJup")
        lines.append(f"              = {radius_jup * R_JUP_OVER_R_EARTH:.2f} REarth"
                     + ("" if plausible is None else
                        (" (planet)" if plausible else " (too big)")))
    star = [f"Teff {stellar['teff']:.0f} K" if "teff" in stellar else "",
            f"R* {stellar['radius']:.2f} Rsun" if "radius" in stellar else "",
            f"Kp {stellar['kepmag']:.2f}" if "kepmag" in stellar else ""]
    lines += ["", "star          " + ", ".join(t for t in star[:2] if t),
              "              " + star[2],
              f"variability   P_dom {_fmt(get('freq_dominant_period'), '.4g', ' d')}"]
    return lines


def catalog_name(catalog: Any, kepler_id: int) -> str | None:
    """What the KOI catalog calls a star, e.g. "Kepler-10 b, c (KOI-72, CONFIRMED)" or
    "KOI-3278 (FALSE POSITIVE, known eclipsing binary)"; None for a star it does not list."""
    try:
        star = catalog.star(kepler_id)
    except Exception:  # a catalog without the star or unreadable: the sheet goes without
        return None
    kois = star.get("kois") or []
    if not kois:
        return "not a KOI" if star.get("params_source") != "not in catalog" else None
    planets = [k["kepler_name"] for k in kois if k.get("kepler_name")]
    koi = "KOI-" + str(int(str(kois[0]["kepoi_name"]).lstrip("K").split(".")[0]))
    details = [star["disposition"]] if star.get("disposition") else []
    if star.get("known_eclipsing_binary"):
        details.append("known eclipsing binary")
    if planets:
        host = planets[0].rsplit(" ", 1)[0]
        letters = [p.rsplit(" ", 1)[-1] for p in planets]
        return f"{host} {', '.join(letters)} ({koi}{''.join(', ' + d for d in details)})"
    return f"{koi} ({', '.join(details)})" if details else koi


def draw_sheet(
    lc: LightCurve,
    numbers: Mapping[str, Any],
    found: TransitSearch | None,
    *,
    title: str,
    notes: list[str] | None = None,
    search_failure: str = "",
) -> Figure:
    """The sheet as a matplotlib Figure (Agg canvas attached)."""
    figure = Figure(figsize=(12, 11.5))
    figure.set_label(str(lc.kepler_id))  # the KIC id, for whoever names the file
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(4, 4, height_ratios=(1.0, 1.0, 1.25, 1.15), hspace=0.42,
                               wspace=0.28, left=0.06, right=0.985, top=0.93, bottom=0.05)
    ephemeris = Ephemeris.from_numbers(numbers)
    light = figure.add_subplot(grid[0, :])
    _panel_light_curve(light, lc, ephemeris)
    detrended = figure.add_subplot(grid[1, :], sharex=light)
    _panel_detrended(detrended, found, ephemeris, search_failure)
    light.tick_params(labelbottom=False, labelsize=7)
    if lc.n_points:
        margin = 0.01 * float(lc.time[-1] - lc.time[0])
        light.set_xlim(lc.time[0] - margin, lc.time[-1] + margin)
    detrended.tick_params(labelsize=7)

    folded = figure.add_subplot(grid[2, :2])
    pair = grid[2, 2:].subgridspec(1, 2, wspace=0.05)
    odd, even = figure.add_subplot(pair[0]), figure.add_subplot(pair[1])
    periodogram = figure.add_subplot(grid[3, 0])
    secondary = figure.add_subplot(grid[3, 1])
    lomb = figure.add_subplot(grid[3, 2])
    text = figure.add_subplot(grid[3, 3])
    if found is not None and ephemeris is not None:
        _panel_folded(folded, found, ephemeris)
        _panel_odd_even(odd, even, found, ephemeris, _number(numbers, "transit_odd_even_sigma"))
        _panel_secondary(secondary, found, ephemeris,
                         _number(numbers, "transit_secondary_snr"))
    else:
        why = search_failure or "no transit candidate in the feature row"
        for axes, gid in ((folded, "folded"), (odd, "odd"), (even, "even"),
                          (secondary, "secondary")):
            axes.set_gid(gid)
            axes.text(0.5, 0.5, why, ha="center", va="center", fontsize=8, wrap=True,
                      transform=axes.transAxes)
    _panel_periodogram(periodogram, found, ephemeris, _number(numbers, "transit_bls_power"))
    periodogram.tick_params(labelsize=7)
    _panel_lomb_scargle(lomb, lc, _number(numbers, "freq_dominant_period"))

    text.set_gid("numbers")
    text.axis("off")
    lines = numbers_text(numbers, lc.stellar) + [""] + list(notes or [])
    text.text(0.0, 1.0, "\n".join(lines), va="top", ha="left", family="monospace",
              fontsize=7, transform=text.transAxes, gid="numbers-text")
    figure.suptitle(title, x=0.06, ha="left", fontsize=12, fontweight="bold")
    return figure


def save_sheet(figure: Figure, path: str | Path) -> Path:
    """Write the sheet as a PNG (no time stamp in it: the same inputs give the same file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    from PIL import Image

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    # A palette of 128 colours keeps every panel legible at a third of the size: the
    # scatter of tens of thousands of points compresses badly in full colour.
    buffer.seek(0)
    with Image.open(buffer) as image:
        image.convert("RGB").quantize(colors=128).save(path, optimize=True)
    return path


def vetting_sheet(
    lc: LightCurve,
    numbers: Mapping[str, Any] | None = None,
    *,
    name: str | None = None,
    notes: list[str] | None = None,
) -> Figure:
    """The vetting sheet of a light curve.

    `numbers` is a feature row (`FeatureRow.to_dict()` or a stored row of the features
    table); without it the features are extracted now. The panels fold on its period, epoch
    and duration; the periodogram and detrended flux are those of the search run now.
    `name` is shown beside the KIC id (e.g. "Kepler-10"); `notes` are added under the numbers.
    """
    from lcfeat.version import __version__

    notes = list(notes or [])
    if numbers is None:
        from lcfeat.features.extract import extract_features

        numbers = extract_features(lc).to_dict()
        notes.append(f"features computed now by lcfeat {__version__}")
    try:
        found: TransitSearch | None = search_of(lc)
        failure = ""
    except NotSearchableError as exc:
        found, failure = None, str(exc)
    title = f"KIC {lc.kepler_id}" + (f"  {name}" if name else "") + "  -  lcfeat vetting sheet"
    return draw_sheet(lc, numbers, found, title=title, notes=notes, search_failure=failure)


def _is_kic(source: Any) -> bool:
    from lcfeat.targets.ids import looks_like_kic

    if isinstance(source, int) and not isinstance(source, bool):
        return True
    return isinstance(source, str) and looks_like_kic(source) and not Path(source).exists()


def _open_archive(archive: str | None, cache: str | Path | None) -> Any:
    from lcfeat.archive import archive_spec_from, cache_dir_from, open_archive

    return open_archive(archive_spec_from(archive), cache_dir_from(cache))


def stored_numbers(db: str, kepler_id: int) -> tuple[dict[str, Any], str]:
    """A target's stored feature row and a note saying where it came from."""
    from lcfeat.errors import ConfigurationError
    from lcfeat.store.frame import stored_row

    row = stored_row(db, kepler_id)
    if row is None:
        raise ConfigurationError(f"KIC {kepler_id} has no row in the features table of {db}")
    from sqlalchemy.engine import make_url

    shown = make_url(db).render_as_string(hide_password=True)
    run = f", run {row['run_id']}" if row.get("run_id") else ""
    return row, f"numbers: stored row of {shown}{run}"


def sheet_for(
    source: Any,
    *,
    db: str | None = None,
    archive: str | None = None,
    cache: str | Path | None = None,
    quality: str | int = "default",
    catalog: Any = None,
) -> Figure:
    """The vetting sheet of a star: `source` is a KIC id (its files fetched from `archive`,
    MAST by default, as `lcfeat run` fetches them) or anything `lcfeat.light_curve` takes.
    With `db`, the numbers and the ephemeris are the target's stored row; otherwise its
    features are extracted now. `catalog` (a `lcfeat.targets.catalog.Catalog`) names the
    star when it is a KOI."""
    from lcfeat.errors import ArchiveError
    from lcfeat.lightcurve.files import read_light_curve
    from lcfeat.lightcurve.sources import light_curve_from
    from lcfeat.targets.ids import parse_kic

    if _is_kic(source):
        kepler_id = parse_kic(source)
        result = _open_archive(archive, cache).fetch_one(kepler_id)
        if result.error or not result.paths:
            raise ArchiveError(result.error or f"KIC {kepler_id}: no light-curve files")
        lc = read_light_curve(result.paths, quality=quality, kepler_id=kepler_id)
    else:
        lc = light_curve_from(source, quality=quality)
    numbers, notes = None, []
    if db is not None:
        numbers, note = stored_numbers(db, lc.kepler_id)
        notes.append(note)
    name = catalog_name(catalog, lc.kepler_id) if catalog is not None else None
    return vetting_sheet(lc, numbers, name=name, notes=notes)


def sheet_filename(kepler_id: int) -> str:
    return f"KIC_{kepler_id}.png"


def write_sheets(
    rows: Mapping[int, Mapping[str, Any]],
    folder: str | Path,
    *,
    archive: str | None,
    cache: str | Path | None = None,
    quality: str | int = "default",
    catalog: Any = None,
    notes: Mapping[int, str] | None = None,
) -> tuple[dict[int, Path], dict[int, str]]:
    """A sheet per target of `rows` (KIC id -> stored feature row) into `folder`, the light
    curves fetched from `archive`. Returns the sheets written and, for each target without
    one, why (a fetch or read failure): one star's problem never stops the others."""
    import logging

    from lcfeat.errors import LcfeatError
    from lcfeat.lightcurve.files import read_light_curve

    log = logging.getLogger(__name__)
    folder = Path(folder)
    written: dict[int, Path] = {}
    problems: dict[int, str] = {}
    source = _open_archive(archive, cache)
    for result in source.iter_fetch(list(rows)):
        kepler_id = result.kepler_id
        if result.error or not result.paths:
            problems[kepler_id] = result.error or "no light-curve files"
            continue
        try:
            lc = read_light_curve(result.paths, quality=quality, kepler_id=kepler_id)
            extra = [notes[kepler_id]] if notes and kepler_id in notes else []
            figure = vetting_sheet(lc, rows[kepler_id], notes=extra,
                                   name=catalog_name(catalog, kepler_id) if catalog else None)
            written[kepler_id] = save_sheet(figure, folder / sheet_filename(kepler_id))
            log.info("vetting sheet of KIC %d -> %s", kepler_id, written[kepler_id])
        except LcfeatError as exc:
            problems[kepler_id] = str(exc)
    return written, problems
