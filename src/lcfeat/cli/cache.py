"""`lcfeat cache verify`: check every cached file; quarantine and re-fetch bad ones.

Returns 0 when every file is fine (or was repaired), 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from lcfeat.cli.common import add_mission_option
from lcfeat.config import ENV_ARCHIVE, ENV_CACHE
from lcfeat.errors import ConfigurationError


def register(sub: Any) -> None:
    cache = sub.add_parser("cache", help="cache maintenance")
    actions = cache.add_subparsers(dest="cache_command", required=True, metavar="ACTION")
    verify = actions.add_parser(
        "verify", help="check every file of a cache (lcfeat's or lightkurve's)",
        description="Verify every long-cadence file (FITS structure, raw-byte checksums, "
                    "KEPLERID, QUARTER). With --repair, move bad files to a quarantine folder "
                    "and download fresh copies into their place.",
    )
    verify.add_argument("--cache", help=f"folder to check, or 'lightkurve' for lightkurve's "
                        f"default cache (${ENV_CACHE}; default: lcfeat's cache)")
    verify.add_argument("--repair", action="store_true",
                        help="quarantine bad files and fetch them again")
    verify.add_argument("--archive", help="where --repair gets fresh copies: 'mast' (default), "
                        f"a URL or a mirror folder (${ENV_ARCHIVE})")
    verify.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_mission_option(verify)
    verify.set_defaults(handler=cmd_cache_verify)


def cmd_cache_verify(args: argparse.Namespace) -> int:
    from lcfeat.archive import (
        HttpArchive,
        LocalMirror,
        archive_spec_from,
        cache_dir_from,
        default_lightkurve_cache,
        open_archive,
        verify_cache,
    )

    shorthand = args.cache == "lightkurve"
    root = (default_lightkurve_cache() if shorthand
            else cache_dir_from(args.cache, mission=args.mission))
    source = None
    if args.repair:
        spec = archive_spec_from(args.archive)
        source = open_archive(spec, cache_dir=root, mission=args.mission)
        if not isinstance(source, HttpArchive | LocalMirror):
            raise ConfigurationError(
                f"--archive {spec}: repair needs MAST, a URL or a mirror folder to copy from"
            )
    progress = not args.no_progress and sys.stderr.isatty()
    report = verify_cache(root, repair=args.repair, progress=progress, archive=source,
                          mission=args.mission)
    for line in report.summary_lines():
        print(line)
    if args.repair:
        return 0 if report.ok else 1
    return 0 if not report.bad else 1
