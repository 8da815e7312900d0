"""`lcfeat plot`: a star's vetting sheet, one page as the Kepler DV one-page summary."""

from __future__ import annotations

import argparse
from typing import Any

from lcfeat.cli.common import EXIT_OK, add_catalog_option, env, quality_setting


def register(sub: Any) -> None:
    plot = sub.add_parser(
        "plot", help="a star's vetting sheet (PNG): light curve, transit search, fold, numbers",
        description=(
            "One page per star: the stitched light curve with the candidate's transits, the "
            "detrended flux, the transit periodogram with the chosen peak, the light curve "
            "folded on the candidate (points, bins, box), odd and even transits, phase 0.5, "
            "the Lomb-Scargle periodogram, and the numbers (period, depth, duration, SNR, SDE, "
            "odd-even sigma, implied radius). With --db the numbers and the ephemeris are the "
            "star's stored row; otherwise its features are extracted now."
        ),
    )
    plot.add_argument("target", nargs="+",
                      help="a KIC id (its files fetched from --archive), or the star's "
                           "kplr*_llc.fits files or their folder")
    plot.add_argument("--archive", default=env("ARCHIVE"),
                      help="where a KIC id's files come from, as for `lcfeat run` (default "
                           "MAST, or $LCFEAT_ARCHIVE)")
    plot.add_argument("--cache", default=env("CACHE"),
                      help="download cache folder ($LCFEAT_CACHE; default: the user cache)")
    plot.add_argument("--db", help="SQLAlchemy URL: draw the star's stored row (numbers, "
                                   "period, epoch) instead of extracting its features now")
    plot.add_argument("--quality", default="default", help="quality mask (see run)")
    add_catalog_option(plot)
    plot.add_argument("-o", "--output", help="PNG to write (default KIC_<id>.png)")
    plot.set_defaults(handler=cmd_plot)


def cmd_plot(args: argparse.Namespace) -> int:
    from lcfeat.study.sheet import save_sheet, sheet_filename, sheet_for
    from lcfeat.targets.catalog import load_catalog

    source = args.target[0] if len(args.target) == 1 else args.target
    catalog = load_catalog(args.catalog)
    figure = sheet_for(source, db=args.db, archive=args.archive, cache=args.cache,
                       quality=quality_setting(args.quality), catalog=catalog)
    kepler_id = int(figure.get_label() or 0)
    path = save_sheet(figure, args.output or sheet_filename(kepler_id))
    print(f"vetting sheet of KIC {kepler_id} -> {path}")
    return EXIT_OK
