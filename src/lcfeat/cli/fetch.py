"""`lcfeat fetch`: download and verify the long-cadence files of some targets.

Returns 0 when every target is fine, 1 when some failed; a bad setting is a
ConfigurationError (exit 2).
"""

from __future__ import annotations

import argparse
from typing import Any

from lcfeat.cli.common import add_mission_option, positive_int
from lcfeat.config import ENV_ARCHIVE, ENV_CACHE
from lcfeat.errors import ConfigurationError, InvalidTargetError


def register(sub: Any) -> None:
    fetch = sub.add_parser(
        "fetch", help="download and verify the long-cadence files of some targets",
        description="Get every long-cadence quarter file of each target, verified, into the "
                    "cache (or check them in place in a local mirror or lightkurve cache).",
    )
    fetch.add_argument("kic", nargs="+", help="KIC ids (11904151, 'KIC 11904151', kplr011904151); "
                       "TIC ids with --mission tess")
    add_mission_option(fetch)
    fetch.add_argument("--archive", help="'mast' (default), an http(s) URL of a MAST-layout tree, "
                       f"a mirror folder, a lightkurve cache or 'lightkurve' (${ENV_ARCHIVE})")
    fetch.add_argument("--cache", help=f"download cache folder (${ENV_CACHE}; default: the user "
                       "cache folder)")
    fetch.add_argument("--concurrency", type=positive_int, default=8,
                       help="concurrent requests (default 8)")
    fetch.set_defaults(handler=cmd_fetch)


def cmd_fetch(args: argparse.Namespace) -> int:
    from lcfeat.archive import archive_spec_from, cache_dir_from, open_archive
    from lcfeat.targets.ids import format_target_id, parse_id

    try:
        kepler_ids = [parse_id(text, args.mission) for text in args.kic]
    except InvalidTargetError as error:
        raise ConfigurationError(str(error)) from None
    archive = open_archive(archive_spec_from(args.archive),
                           cache_dir_from(args.cache, mission=args.mission),
                           concurrency=args.concurrency, check=True, mission=args.mission)
    print(f"fetching {len(kepler_ids)} targets from {archive.description}")
    failed = 0
    total_files = total_bytes = downloaded = 0
    for result in archive.iter_fetch(kepler_ids, concurrency=args.concurrency):
        if result.error:
            failed += 1
            print(result.error)
            continue
        total_files += len(result.paths)
        total_bytes += result.bytes
        downloaded += result.downloaded_bytes
        quarters = ",".join(str(q) for q in result.quarters)
        where = result.paths[0].parent if result.paths else "-"
        files = f"{len(result.paths)} file{'s' if len(result.paths) != 1 else ''}"
        period = "S" if args.mission == "tess" else "Q"
        print(f"{format_target_id(result.kepler_id, args.mission)}: {files} ({period}{quarters}), "
              f"{result.bytes / 1e6:.1f} MB, {result.seconds:.2f} s  {where}")
        for problem in result.problems:
            print(f"  note: {problem}")
    print(f"{len(kepler_ids) - failed} of {len(kepler_ids)} targets ok, {total_files} files, "
          f"{total_bytes / 1e6:.1f} MB ({downloaded / 1e6:.1f} MB downloaded)")
    return 0 if failed == 0 else 1
