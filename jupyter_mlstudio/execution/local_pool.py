"""Starting job supervisors on this machine quickly: a warm forker shared by every process.

``launch_job`` asks this machine's forker (one per interpreter and code version, listening
on a Unix socket in the temp folder) to fork the supervisor: it has imported the supervisor
and the store already, so a job no longer pays a fresh interpreter's imports (about a
second of CPU; forty queued jobs on two cores paid twenty seconds). The supervisor gets the
submitter's environment and working folder, its own session, pid and log, exactly as a
``python -m jupyter_mlstudio.execution.job`` started by ``launch_job`` would.

The forker is started on demand (the job that finds none starts it and runs the usual way
meanwhile), holds a lock file for its lifetime so only one runs, and exits after
``IDLE_SECONDS`` without requests. Any failure to reach it falls back to a plain process.
``MLSTUDIO_LOCAL_FORKER=0`` turns it off.

The slot table itself (how many jobs run at once on ``local`` and on every other target) is
in the store (``TrackingStore.acquire_slot``): a queued supervisor waits there, heartbeats,
and frees the slots of holders whose process died (``job.Supervisor._reap_dead_holders``).
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

IDLE_SECONDS = 300.0
CONNECT_TIMEOUT_SECONDS = 2.0
REPLY_TIMEOUT_SECONDS = 30.0
_MODULE = "jupyter_mlstudio.execution.local_pool"
_PACKAGE = "jupyter_mlstudio"


def enabled() -> bool:
    """Tell whether the warm forker may be used (``MLSTUDIO_LOCAL_FORKER`` not 0, and fork)."""
    return os.environ.get("MLSTUDIO_LOCAL_FORKER", "1") != "0" and hasattr(os, "fork")


def _code_version() -> str:
    """Changes whenever the code a forked process runs changes (an edited checkout
    included): every module of the package, since pipeline controllers are forked too."""
    import jupyter_mlstudio

    root = os.path.dirname(jupyter_mlstudio.__file__)
    stamps = [sys.executable, root]
    folders = [root]
    while folders:  # os.scandir, not Path.rglob: this runs before every job (ms, not 0.1 s)
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.path)
                elif entry.name.endswith(".py"):
                    stamps.append(f"{entry.path}:{entry.stat().st_mtime_ns}")
    return hashlib.sha256("\n".join(sorted(stamps)).encode()).hexdigest()[:16]


def socket_path() -> Path:
    """Return the socket of this machine's forker for this user, Python and code version."""
    return Path(tempfile.gettempdir()) / f"mlstudio-forker-{os.getuid()}-{_code_version()}.sock"


def request_fork(spec_json: str) -> tuple[int, float] | None:
    """Have the forker start a supervisor; None when there is no forker to ask (one is
    started for the next jobs)."""
    return _ask({"spec": spec_json})


def request_module(module: str, argument: str, log_path: Path) -> tuple[int, float] | None:
    """Have the forker start ``python -m module argument`` (its ``main([argument])`` in a
    forked copy of the forker, which imported ``module`` and ran its ``preload()`` hook
    ahead of need), its output appended to ``log_path``; returns (pid, start time).

    None when the forker cannot start it now: there is none (one is started, loading
    ``module``), or it has not loaded ``module`` yet (it does so after answering). The
    caller then starts a process the usual way; later requests find the module warm.
    """
    if not module.startswith(f"{_PACKAGE}."):
        raise ValueError(f"only {_PACKAGE} modules are forked, not {module!r}")
    return _ask({"module": module, "argument": argument, "log": str(log_path)}, (module,))


def _ask(request: dict[str, str], preload: tuple[str, ...] = ()) -> tuple[int, float] | None:
    path = socket_path()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(CONNECT_TIMEOUT_SECONDS)
            conn.connect(str(path))
            payload = {**request, "env": dict(os.environ), "cwd": os.getcwd()}
            conn.sendall(json.dumps(payload).encode() + b"\n")
            # Once asked, the forker may fork at any moment: falling back early could
            # start the process twice. It answers in milliseconds unless the machine stalls.
            conn.settimeout(REPLY_TIMEOUT_SECONDS)
            reply = conn.makefile("r").readline().split()
    except FileNotFoundError:
        _start_forker(path, preload)
        return None
    except OSError:
        _start_forker(path, preload)  # a stale socket or a dying forker: a fresh one takes over
        return None
    if len(reply) == 2 and reply[0] not in ("error", "cold"):
        return int(reply[0]), float(reply[1])
    return None


def _start_forker(path: Path, preload: tuple[str, ...] = ()) -> None:
    if _forker_running(path):
        return  # it is loading modules, not listening meanwhile; it listens again soon
    subprocess.Popen(
        [sys.executable, "-m", _MODULE, str(path), *preload],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
    )


def _forker_running(path: Path) -> bool:
    """Whether a forker holds this path's lock (it holds it for its whole life)."""
    try:
        with open(f"{path}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released as it closes
    except OSError:
        return True
    return False


def _listen(path: Path) -> socket.socket:
    path.unlink(missing_ok=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    os.chmod(path, 0o600)  # only this user's processes may start jobs through it
    server.listen(64)
    server.settimeout(IDLE_SECONDS)
    return server


def serve(path: Path, modules: tuple[str, ...] = ()) -> int:
    """The forker: fork a supervisor (or a module's process) per request until idle for
    ``IDLE_SECONDS``; ``modules`` are loaded before it listens."""
    from jupyter_mlstudio.execution.job_forker import fork_main, fork_supervisor, preload
    from jupyter_mlstudio.execution.liveness import process_start_time

    lock = open(f"{path}.lock", "a")  # noqa: SIM115 (held for the process's lifetime)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return 0  # another forker serves this path
    preload()
    warm: dict[str, Any] = {}
    for name in modules:
        _load(name, warm)
    server = _listen(path)

    def reap(*_: object) -> None:
        while True:
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return

    signal.signal(signal.SIGCHLD, reap)
    try:
        while True:
            try:
                conn, _ = server.accept()
            except TimeoutError:
                break
            with conn:
                cold = None
                try:
                    conn.settimeout(10)
                    request = json.loads(conn.makefile("r").readline())
                    close = (server.fileno(), conn.fileno(), lock.fileno())
                    module = request.get("module")
                    if module is None:
                        pid = fork_supervisor(
                            request["spec"], request["env"], request["cwd"], close=close
                        )
                    elif module not in warm:
                        cold = module  # loaded once this request is answered
                        pid = None
                    else:
                        pid = fork_main(
                            functools.partial(warm[module].main, [request["argument"]]),
                            Path(request["log"]),
                            request["env"],
                            request["cwd"],
                            close=close,
                        )
                    reply = "cold\n" if pid is None else f"{pid} {process_start_time(pid) or 0.0}\n"
                except Exception as exc:
                    reply = f"error {type(exc).__name__}\n"
                try:
                    conn.sendall(reply.encode())
                except OSError:
                    pass
            if cold is not None:
                # Not listening while it loads (seconds): jobs asking meanwhile find no
                # socket and start the usual way, instead of waiting in the backlog.
                server.close()
                path.unlink(missing_ok=True)
                _load(cold, warm)
                server = _listen(path)
    finally:
        path.unlink(missing_ok=True)
        server.close()
    return 0


def _load(name: str, warm: dict[str, Any]) -> None:
    """Import ``name`` into the forker, and run its ``preload()`` hook (the imports its
    processes make later). Only this package's modules; a failure leaves it cold."""
    if not name.startswith(f"{_PACKAGE}.") or name in warm:
        return
    try:
        module = importlib.import_module(name)
        hook = getattr(module, "preload", None)
        if hook is not None:
            hook()
    except Exception:  # that module's processes are started the usual way
        import traceback

        traceback.print_exc()
        return
    if threading.active_count() > 1:
        # Forking a process with threads can copy a held lock: never fork from this one.
        print(f"loading {name} started a thread; exiting", file=sys.stderr)
        sys.exit(1)
    warm[name] = module


if __name__ == "__main__":
    sys.exit(serve(Path(sys.argv[1]), tuple(sys.argv[2:])))
