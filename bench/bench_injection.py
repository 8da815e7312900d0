"""Injection and recovery on the bundled light curves: the completeness table by SNR bin.

    .venv/bin/python bench/bench_injection.py [--periods 8]

batman transits (Sun-like limb darkening, 29.4-min exposure) go into every bundled target
after its own known signals are cut (lcfeat.study.injection.KNOWN_SIGNALS); the transit
domain runs on each. The same code is `lcfeat validate-injections`.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    from lcfeat.cli import main as lcfeat

    args = sys.argv[1:]
    if "--archive" not in args:
        args = ["--archive", str(ROOT / "data" / "archive"), *args]
    return lcfeat(["validate-injections", *args])


if __name__ == "__main__":
    raise SystemExit(main())
