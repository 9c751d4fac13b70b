"""Start a trial's job supervisor by forking the sweep controller.

The controller has already imported everything a supervisor needs, so a fork starts one in
milliseconds where ``python -m jupyter_mlstudio.execution.job`` spends a good part of a
second importing; over a sweep of short trials that is most of the scheduling overhead. The
forked supervisor is the same code (``execution.job.main``) in its own session, with its own
pid, start time and log, so liveness checks and cancellation treat it like any other.

The store is fork-safe (a forked child opens its own connections); the controller runs no
threads, so nothing is forked mid-way.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback

from jupyter_mlstudio.execution import job
from jupyter_mlstudio.execution.launcher import supervisor_log_path
from jupyter_mlstudio.execution.liveness import process_start_time
from jupyter_mlstudio.execution.spec import JobSpec

__all__ = ["fork_supervisor", "reap_children"]


def fork_supervisor(spec: JobSpec) -> tuple[int, float | None]:
    """Fork a supervisor for ``spec``; returns (pid, process start time) as ``launch_job``."""
    log_path = supervisor_log_path(spec.run_id)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the supervisor: never return into the controller's code
        code = 1
        try:
            os.setsid()  # its own session, as launch_job gives it
            log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(log, 1)
            os.dup2(log, 2)
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, signal.SIG_DFL)
            os.environ["PYTHONUNBUFFERED"] = "1"
            code = job.main([spec.to_json()])
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    return pid, process_start_time(pid)


def reap_children() -> None:
    """Collect the exit status of supervisors that ended, so none stays a zombie."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
