"""Local workers are forked from a fork server that preloaded the feature stack, yet see the
parent's environment and folder of the moment, as spawned workers would."""

from __future__ import annotations

import json
import os
import queue

from lcfeat.pipeline.executors import LocalExecutor, Task, default_start_method
from tests.pipeline import workers


def _reports(executor: LocalExecutor, n: int) -> list[dict]:
    tasks: queue.Queue = queue.Queue()
    for kepler_id in range(1, n + 1):
        tasks.put(Task(kepler_id, ()))
    tasks.put(None)
    return [json.loads(o.failure.message) for o in executor.run(tasks)]


def test_workers_come_from_a_preloaded_fork_server_with_the_current_environment(
        tmp_path, monkeypatch):
    assert default_start_method() == "forkserver"  # Linux
    first = _reports(LocalExecutor(1, work=workers.report_surroundings), 1)
    assert first[0]["threadpoolctl_preloaded"]  # imported by the server, not by the work
    # The server started above; what changes afterwards must still reach new workers.
    monkeypatch.setenv("LCFEAT_TEST_MARKERS", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    later = _reports(LocalExecutor(2, work=workers.report_surroundings), 4)
    assert {r["marker"] for r in later} == {str(tmp_path)}
    assert {r["cwd"] for r in later} == {os.fspath(tmp_path)}
    assert first[0]["pid"] not in {r["pid"] for r in later}
