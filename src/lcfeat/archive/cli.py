"""`lcfeat fetch` and `lcfeat cache verify`, added to the main parser by `add_archive_commands`.

Handlers return the exit code (0: every target or file is fine, 1: some failed) and raise
ConfigurationError for a bad setting, which the main command turns into exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from lcfeat.archive import (
    ENV_ARCHIVE,
    ENV_CACHE,
    HttpArchive,
    LocalMirror,
    archive_spec_from,
    cache_dir_from,
    default_lightkurve_cache,
    open_archive,
    verify_cache,
)
from lcfeat.cli_types import positive_int
from lcfeat.errors import ConfigurationError, InvalidTargetError
from lcfeat.targets import parse_kic


def add_archive_commands(subparsers: Any) -> None:
    """Add ``fetch`` and ``cache verify`` to the subparsers of the ``lcfeat`` command."""
    fetch = subparsers.add_parser(
        "fetch", help="download and verify the long-cadence files of some targets",
        description="Get every long-cadence quarter file of each target, verified, into the "
                    "cache (or check them in place in a local mirror or lightkurve cache).",
    )
    fetch.add_argument("kic", nargs="+", help="KIC ids (11904151, 'KIC 11904151', kplr011904151)")
    fetch.add_argument("--archive", help="'mast' (default), an http(s) URL of a MAST-layout tree, "
                       f"a mirror folder, a lightkurve cache or 'lightkurve' (${ENV_ARCHIVE})")
    fetch.add_argument("--cache", help=f"download cache folder (${ENV_CACHE}; default: the user "
                       "cache folder)")
    fetch.add_argument("--concurrency", type=positive_int, default=8,
                       help="concurrent requests (default 8)")
    fetch.set_defaults(handler=run_fetch)

    cache = subparsers.add_parser("cache", help="cache maintenance")
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
    verify.set_defaults(handler=run_cache_verify)


def run_fetch(args: argparse.Namespace) -> int:
    try:
        kepler_ids = [parse_kic(text) for text in args.kic]
    except InvalidTargetError as error:
        raise ConfigurationError(str(error)) from None
    archive = open_archive(archive_spec_from(args.archive), cache_dir_from(args.cache),
                           concurrency=args.concurrency)
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
        print(f"KIC {result.kepler_id}: {files} (Q{quarters}), "
              f"{result.bytes / 1e6:.1f} MB, {result.seconds:.2f} s  {where}")
        for problem in result.problems:
            print(f"  note: {problem}")
    print(f"{len(kepler_ids) - failed} of {len(kepler_ids)} targets ok, {total_files} files, "
          f"{total_bytes / 1e6:.1f} MB ({downloaded / 1e6:.1f} MB downloaded)")
    return 0 if failed == 0 else 1


def run_cache_verify(args: argparse.Namespace) -> int:
    shorthand = args.cache == "lightkurve"
    root = default_lightkurve_cache() if shorthand else cache_dir_from(args.cache)
    source = None
    if args.repair:
        spec = archive_spec_from(args.archive)
        source = open_archive(spec, cache_dir=root)
        if not isinstance(source, HttpArchive | LocalMirror):
            raise ConfigurationError(
                f"--archive {spec}: repair needs MAST, a URL or a mirror folder to copy from"
            )
    progress = not args.no_progress and sys.stderr.isatty()
    report = verify_cache(root, repair=args.repair, progress=progress, archive=source)
    for line in report.summary_lines():
        print(line)
    if args.repair:
        return 0 if report.ok else 1
    return 0 if not report.bad else 1
