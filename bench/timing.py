"""Timing helpers shared by the bench scripts (a folder of scripts: each imports this file
from its own folder)."""

from __future__ import annotations

import os
import statistics
import time


def timed(fn, repeats: int):
    """(median wall s, median CPU s, last result) over `repeats` calls."""
    walls, cpus, result = [], [], None
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), result


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"
