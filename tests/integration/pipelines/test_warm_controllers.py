"""Pipeline controllers forked from the machine's warm forker, and the fallback without it."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import psutil
import pytest

from jupyter_mlstudio.core import Experiment
from jupyter_mlstudio.execution import local_pool
from jupyter_mlstudio.pipeline.core import Pipeline
from jupyter_mlstudio.pipeline.steps import PythonScriptStep


def _forker() -> psutil.Process | None:
    """The forker serving this code version (its forked children share its command line)."""
    path = str(local_pool.socket_path())
    for proc in psutil.process_iter(["cmdline", "ppid"]):
        if path in (proc.info["cmdline"] or []):
            try:
                parent = psutil.Process(proc.info["ppid"])
                if path not in parent.cmdline():
                    return proc
            except psutil.Error:
                return proc
    return None


def _submit(ws, code) -> tuple[object, int, int | None]:
    """Submit a one-step pipeline; returns the run, its controller's pid and parent pid."""
    step = PythonScriptStep(
        name="Sleep",
        script_name="timed.py",
        source_directory=str(code),
        arguments=["1"],
        allow_reuse=False,
    )
    run = Experiment(ws, "warm").submit(Pipeline(ws, [step]))
    pid = run._refresh().pid
    try:
        parent = psutil.Process(pid).ppid()
    except psutil.Error:
        parent = None
    return run, pid, parent


def _gone(pid: int) -> bool:
    """Ended and reaped: a zombie still has its pid."""
    try:
        psutil.Process(pid).status()
    except psutil.NoSuchProcess:
        return True
    return False


def test_controllers_are_forked_warm_and_a_dead_forker_falls_back(local_ws, code):
    # The first submits may find no forker, or one that has not loaded the controller yet:
    # they start theirs the usual way, and the forker loads it for the next ones.
    deadline = time.monotonic() + 120
    while True:
        run, pid, parent = _submit(local_ws, code)
        assert run.wait_for_completion(show_output=False) == "Completed"
        forker = _forker()
        if forker is not None and parent == forker.pid:
            break
        assert time.monotonic() < deadline, "no controller was ever forked from the forker"
        time.sleep(1)
    # The forked controller ran its one step, ended and was reaped (no zombie left).
    assert [s.step_name for s in run.get_steps()] == ["Sleep"]
    end = time.monotonic() + 10
    while not _gone(pid):
        assert time.monotonic() < end, f"controller {pid} left behind"
        time.sleep(0.1)
    assert not [c for c in forker.children() if c.status() == psutil.STATUS_ZOMBIE]

    # The forker crashes: the next pipeline's controller is a process of its own.
    os.kill(forker.pid, signal.SIGKILL)
    forker.wait(timeout=10)
    run, pid, parent = _submit(local_ws, code)
    assert parent != forker.pid
    assert run.wait_for_completion(show_output=False) == "Completed"
    assert len(run.get_steps()) == 1  # started once, not by both paths


def test_cancel_reaches_a_forked_controller(local_ws, code):
    deadline = time.monotonic() + 120
    step = PythonScriptStep(
        name="Long",
        script_name="timed.py",
        source_directory=str(code),
        arguments=["60"],
        allow_reuse=False,
    )
    while True:
        run = Experiment(local_ws, "warm-cancel").submit(Pipeline(local_ws, [step]))
        pid = run._refresh().pid
        forker = _forker()
        forked = forker is not None and psutil.Process(pid).ppid() == forker.pid
        if forked or time.monotonic() > deadline:
            break
        run.cancel()  # a cold one: wait for the forker to load the controller
        run.wait_for_completion(show_output=False, raise_on_error=False)
        time.sleep(1)
    assert forked, "no controller was ever forked from the forker"
    while not run.get_steps() or run.get_steps()[0].get_status() != "Running":
        assert time.monotonic() < deadline + 60
        time.sleep(0.1)
    run.cancel()
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == "Canceled"
    assert run.get_steps()[0].get_status() == "Canceled"
    end = time.monotonic() + 10
    while not _gone(pid):
        assert time.monotonic() < end, f"controller {pid} left behind"
        time.sleep(0.1)


def test_a_spool_kernel_claimed_and_never_used_goes_back_on_offer(monkeypatch):
    from jupyter_mlstudio.execution.kernel_spool import ensure_daemon, spool_folder, stop_daemon
    from jupyter_mlstudio.execution.notebook_runner import KernelPool

    monkeypatch.setenv("MLSTUDIO_KERNEL_SPOOL", "1")
    monkeypatch.setenv("MLSTUDIO_KERNEL_SPOOL_SIZE", "1")
    monkeypatch.setenv("MLSTUDIO_KERNEL_SPOOL_IDLE", "60")  # stopped at the end
    ready = spool_folder() / "ready"
    ensure_daemon()
    try:
        deadline = time.monotonic() + 90
        while not list(ready.glob("*.json")):
            assert time.monotonic() < deadline, "the spool daemon never offered a kernel"
            time.sleep(0.1)
        (offered,) = ready.glob("*.json")
        pool = KernelPool(size=1, limit=1)
        assert not offered.exists()  # claimed
        pool.close()  # no step took it: offered again, the same (unused) kernel
        assert [p.name for p in ready.glob("*.json")] == [offered.name]
        pid = int(json.loads(offered.read_text())["pid"])
        assert psutil.pid_exists(pid)
    finally:
        stop_daemon()
    end = time.monotonic() + 20
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < end, "the daemon left its kernel on offer running"
        time.sleep(0.1)


def test_a_resumed_controller_fails_a_step_its_predecessor_never_started(
    local_ws, code, monkeypatch
):
    """A controller killed between creating a step's run and starting its process: the one
    that resumes the pipeline must not wait for that step forever."""
    import socket
    import subprocess

    from jupyter_mlstudio.errors import ActivityFailedException
    from jupyter_mlstudio.pipeline import _controller
    from jupyter_mlstudio.pipeline.core._submission import STEP_RUN_TYPE
    from jupyter_mlstudio.store import RunStatus

    monkeypatch.setattr(_controller, "launch", lambda ws, run_id: 0)  # no controller at submit
    monkeypatch.setattr(_controller, "_UNLAUNCHED_GRACE_SECONDS", 0.5)
    step = PythonScriptStep(
        name="Never", script_name="timed.py", source_directory=str(code), arguments=["0"]
    )
    run = Experiment(local_ws, "orphan").submit(Pipeline(local_ws, [step]))
    tracking = local_ws._store.tracking
    record = tracking.get_run(run.id)
    sid = record.definition["graph"]["steps"][0]["id"]
    dead = subprocess.Popen(["true"])
    dead.wait()
    tracking.update_run(
        run.id, status=RunStatus.RUNNING, process=(dead.pid, socket.gethostname(), 0.0)
    )
    tracking.create_run(
        "orphan",
        f"{run.id}_{sid}",
        STEP_RUN_TYPE,
        status=RunStatus.NOT_STARTED,
        parent_run_id=run.id,
        name="Never",
        properties={"mlstudio.step_id": sid, "mlstudio.step_name": "Never"},
    )
    controller = _controller.Controller(run.id, str(local_ws._config_path), workspace=local_ws)
    thread = threading.Thread(target=controller.run, daemon=True)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the resumed controller waits for the step forever"
    with pytest.raises(ActivityFailedException, match="stopped while starting this step"):
        run.wait_for_completion(show_output=False, timeout_seconds=30)
    assert run.get_steps()[0].get_status() == "Failed"
