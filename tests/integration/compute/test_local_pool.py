"""The local process pool: a concurrency limit with a queue, and nothing stuck when a process dies."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import psutil
import pytest

from jupyter_mlstudio.core import ComputeTarget, Experiment, ScriptRunConfig
from jupyter_mlstudio.errors import ActivityFailedException

SCRIPT = """
import time
from jupyter_mlstudio.core import Run
run = Run.get_context()
run.log("started", time.time())
run.flush()
time.sleep(float(__import__("sys").argv[1]))
"""


def _wait_until(condition, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def _kill_supervisor(run) -> None:
    record = run._store.get_run(run.id)
    os.kill(record.pid, signal.SIGKILL)


def test_runs_wait_queued_for_a_slot_and_dead_processes_free_theirs(local_ws, tmp_path: Path):
    code = tmp_path / "code"
    code.mkdir()
    (code / "train.py").write_text(SCRIPT)
    ComputeTarget(local_ws, "local").update(max_nodes=1)
    exp = Experiment(local_ws, "pool")
    holder = exp.submit(ScriptRunConfig(str(code), "train.py", ["30"]))
    _wait_until(lambda: "started" in holder.get_metrics())
    waiter = exp.submit(ScriptRunConfig(str(code), "train.py", ["0"]))
    _wait_until(lambda: waiter.get_status() == "Queued")
    # The waiter's process dies: its run is failed, not left Queued.
    _kill_supervisor(waiter)
    with pytest.raises(ActivityFailedException, match="killed or crashed"):
        waiter.wait_for_completion()

    # The slot holder's process dies: the next run gets the slot and completes.
    nxt = exp.submit(ScriptRunConfig(str(code), "train.py", ["0"]))
    _wait_until(lambda: nxt.get_status() == "Queued")
    orphans = psutil.Process(holder._store.get_run(holder.id).pid).children(recursive=True)
    _kill_supervisor(holder)
    try:
        nxt.wait_for_completion(raise_on_error=True)
        assert holder.get_status() == "Failed"
    finally:
        for orphan in orphans:  # the killed holder's script, ended by the test
            orphan.kill()


def test_jobs_see_the_submitters_environment_whoever_starts_their_supervisor(
    local_ws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    code = tmp_path / "code"
    code.mkdir()
    (code / "train.py").write_text(
        "import os\nprint('MARK', os.environ.get('MLSTUDIO_TEST_MARK'))\n"
    )
    exp = Experiment(local_ws, "env-pass")
    for mark in ("first", "second"):  # the second is likely started by the warm forker
        monkeypatch.setenv("MLSTUDIO_TEST_MARK", mark)
        run = exp.submit(ScriptRunConfig(str(code), "train.py"))
        run.wait_for_completion(raise_on_error=True)
        assert f"MARK {mark}" in run.get_details_with_logs()["logFiles"]["logs/std_log.txt"]
