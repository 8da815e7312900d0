"""Work functions that misbehave on purpose, run inside real worker processes by the tests."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from lcfeat.pipeline.executors import Outcome, Task, run_task

#: Targets whose worker process is killed (SIGKILL) on every attempt.
ALWAYS_KILLED = {10001893}
#: Targets whose worker segfaults on the first attempt only (the retry succeeds).
SEGFAULT_ONCE = {9726699}
#: Targets that hang past any time-out.
HANGING = {10002792}


def misbehaving_work(task: Task) -> Outcome:
    if task.kepler_id in ALWAYS_KILLED:
        os.kill(os.getpid(), signal.SIGKILL)
    if task.kepler_id in SEGFAULT_ONCE:
        marker = Path(os.environ["LCFEAT_TEST_MARKERS"]) / f"{task.kepler_id}.crashed"
        if not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGSEGV)
    if task.kepler_id in HANGING:
        time.sleep(3600)
    return run_task(task)


def report_surroundings(task: Task) -> Outcome:
    """What the worker process sees, as a failure message: the test marker variable, the
    working folder, and whether a lazily imported library came preloaded."""
    import json
    import sys

    from lcfeat.store.records import Failure

    seen = {"marker": os.environ.get("LCFEAT_TEST_MARKERS"), "cwd": os.getcwd(),
            "threadpoolctl_preloaded": "threadpoolctl" in sys.modules, "pid": os.getpid()}
    return Outcome(task.kepler_id, failure=Failure(task.kepler_id, "extract", "Report",
                                                   json.dumps(seen)))
