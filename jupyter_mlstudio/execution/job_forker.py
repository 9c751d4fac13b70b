"""A warm process that forks job supervisors: ``python -m jupyter_mlstudio.execution.job_forker``.

A Dask worker keeps one (see ``dask_compute.run_job_task``). It has imported the supervisor
and the store already, so a job's supervisor starts in milliseconds instead of paying a
fresh interpreter's imports (about a second of CPU) per job. It is single-threaded and
opens no connections, so forking it is safe; each supervisor is still its own process, in
its own session, with its own pid, log and liveness, as one started by ``launch_job``.

Protocol: one job spec (JSON) per line on stdin; for each it writes back
``<pid> <start time>`` on stdout. When stdin closes, the worker that owns it is gone: it sends
SIGUSR1 to the supervisors still running (each records its run Failed, "worker lost") and
exits.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from jupyter_mlstudio.execution import job
from jupyter_mlstudio.execution.launcher import supervisor_log_path
from jupyter_mlstudio.execution.liveness import process_start_time
from jupyter_mlstudio.execution.spec import JobSpec


def preload() -> None:
    """Import now what every supervisor imports later (its inputs' file systems)."""
    import fsspec  # noqa: F401

    import jupyter_mlstudio.store.credentials  # noqa: F401


def fork_supervisor(
    spec_json: str,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    close: tuple[int, ...] = (),
) -> int:
    """Fork a supervisor for ``spec_json`` (with the submitter's ``env`` and ``cwd``);
    ``close``: the forker's own descriptors (sockets, its lock) the supervisor must not
    keep."""
    run_id = JobSpec.from_json(spec_json).run_id
    return fork_main(lambda: job.main([spec_json]), supervisor_log_path(run_id), env, cwd, close)


def fork_main(
    main: Callable[[], int],
    log_path: Path,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    close: tuple[int, ...] = (),
) -> int:
    """Fork a detached process that runs ``main()`` and exits with its code: its own
    session, stdin from /dev/null, stdout and stderr appended to ``log_path``, default
    signal handlers, the submitter's ``env`` and ``cwd``; returns its pid."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never return into the caller's loop
        code = 1
        try:
            for fd in close:
                try:
                    os.close(fd)
                except OSError:
                    pass
            os.setsid()
            if env is not None:
                os.environ.clear()
                os.environ.update(env)
            if cwd is not None:
                try:
                    os.chdir(cwd)
                except OSError:
                    pass  # the submitter's folder is gone; the job copies its snapshot anyway
            log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(log, 1)
            os.dup2(log, 2)
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD, signal.SIGUSR1):
                signal.signal(sig, signal.SIG_DFL)
            os.environ["PYTHONUNBUFFERED"] = "1"
            code = main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            # os._exit skips the interpreter's flush: what was printed must reach the log.
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:  # exiting regardless
                    pass
            os._exit(code)
    return pid


def main() -> int:
    """Serve fork requests from stdin until it closes (the protocol is in the module's docstring).

    Each line is a job spec (JSON); the reply is ``<pid> <start time>``, or
    ``error <reason>`` when the fork failed. When stdin closes, the supervisors still
    running get SIGUSR1.

    Returns
    -------
    int
        0.
    """
    preload()
    children: set[int] = set()

    def reap(*_: object) -> None:
        while True:
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            children.discard(pid)

    signal.signal(signal.SIGCHLD, reap)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the worker's ^C is not ours to act on
    for line in sys.stdin:
        text = line.strip()
        if not text:
            continue
        try:
            pid = fork_supervisor(text)
        except Exception as exc:  # the task reads this line as the failure to start
            print(f"error {type(exc).__name__}: {exc}", flush=True)
            continue
        children.add(pid)
        print(f"{pid} {process_start_time(pid) or 0.0}", flush=True)
    for pid in list(children):  # stdin closed: our worker is gone
        try:
            os.kill(pid, signal.SIGUSR1)
        except ProcessLookupError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
