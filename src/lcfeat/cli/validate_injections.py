"""`lcfeat validate-injections`: inject batman transits into real light curves and report
how many the search recovers, by expected SNR."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from lcfeat.cli.common import EXIT_OK


def register(sub: Any) -> None:
    injections = sub.add_parser(
        "validate-injections",
        help="inject batman transits into real light curves; completeness by SNR",
        description="Inject batman transits into real light curves and report completeness.",
    )
    injections.add_argument("--archive", type=Path, default=Path("data/archive"),
                            help="MAST-layout folder of light curves (default: data/archive)")
    injections.add_argument("--periods", type=int, default=8,
                            help="periods per star (default 8)")
    injections.set_defaults(handler=cmd_validate_injections)


def cmd_validate_injections(args: argparse.Namespace) -> int:
    from lcfeat.search.core import MIN_EVENTS
    from lcfeat.study.injection import DETECTION_SNR, completeness_table, validate_archive

    started = time.perf_counter()
    outcomes = []
    alarms = []
    print(f"{'KIC':>10} {'injected':>8} {'recovered':>9} {'at SNR>=10':>10}   "
          "no injection: best P, SNR, SDE; the search's detrending")
    for star in validate_archive(args.archive, args.periods):
        outcomes.extend(star.outcomes)
        alarms.append(star.alarm)
        alarm = star.alarm
        flag = "DETECTION" if alarm.detected else "below threshold"
        strong = star.recovered_at_snr_10
        whitened = (f", variability of {star.prewhitened_period:.2f} d fitted out"
                    if star.prewhitened_period else "")
        print(f"{star.kepler_id:>10} {len(star.outcomes):>8} "
              f"{sum(o.recovered for o in star.outcomes):>9} "
              f"{sum(strong):>4}/{len(strong):<5}   P={alarm.found_period:.4f} d "
              f"SNR={alarm.found_snr:.1f} SDE={alarm.sde:.1f} ({flag}); window "
              f"{star.window:g} d{whitened}", flush=True)
    unsearchable = sum(not o.searchable for o in outcomes)
    print(f"\nCompleteness by expected SNR (recovered: period within 0.5% or 1/2, 2x alias, "
          f"epoch within one duration); {unsearchable} of {len(outcomes)} injections left out: "
          f"fewer than {MIN_EVENTS} transits with data (the search requires {MIN_EVENTS})")
    print(f"{'SNR bin':>16} {'injected':>9} {'recovered':>9} {'fraction':>9}")
    for label, n, k, frac in completeness_table(outcomes):
        print(f"{label:>16} {n:>9} {k:>9} {frac:>9.1%}")
    n_alarm = sum(a.detected for a in alarms)
    print(f"\nFalse alarms (no injection, known signals cut, best SNR >= {DETECTION_SNR}): "
          f"{n_alarm} of {len(alarms)} stars")
    print(f"elapsed {time.perf_counter() - started:.1f} s")
    return EXIT_OK
