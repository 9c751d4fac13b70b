"""A warm process that forks endpoint supervisors: ``python -m jupyter_mlstudio.serving.zygote``.

An endpoint's cold start is mostly imports: a fresh interpreter spends a second or two on
uvicorn, Starlette, NumPy and scikit-learn before ``init()`` can run, and that is most of the
time from ``Model.deploy`` to the first answer. The zygote has imported them already. Asked
over its Unix socket, it forks a supervisor (in a session of its own, as ``launch_supervisor``
would start one), and that supervisor forks its workers instead of starting interpreters, so
``init()`` runs within milliseconds of the deploy. Each endpoint is still its own processes;
the zygote only gives birth to them and can exit without harm to any.

One zygote per interpreter runs on the machine (``MLSTUDIO_HOME/serving/<key>/``). It is
started by the first deploy that finds none (that deploy starts its supervisor the usual way)
and begins importing ``MLSTUDIO_SERVING_ZYGOTE_DELAY`` seconds later (default 3, so as not to
slow that first deploy down). It exits after ``MLSTUDIO_SERVING_ZYGOTE_IDLE`` seconds without
a request (default 600), and refuses to fork once a module it preloaded changed on disk (a
``pip install`` since), so no endpoint runs stale code: the caller falls back to a fresh
interpreter and a new zygote starts. ``MLSTUDIO_SERVING_ZYGOTE=0`` turns it off.

Protocol: the client connects, sends one JSON line ``{"runtime_dir", "env", "cwd"}`` and reads
one JSON line back: ``{"pid", "started_at"}`` or ``{"error"}``.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

__all__ = [
    "PRELOAD",
    "ensure_zygote",
    "fork_from_zygote",
    "stop_zygote",
    "zygote_enabled",
    "zygote_folder",
]

# What workers import, in the order a worker would: the serving stack, then the libraries most
# scoring scripts load. Missing ones are skipped.
PRELOAD = (
    "jupyter_mlstudio.serving.supervisor",
    "jupyter_mlstudio.serving.worker",
    "jupyter_mlstudio.serving.scoring",
    "jupyter_mlstudio.serving.app",
    "jupyter_mlstudio.serving.auth",
    "jupyter_mlstudio.serving.accept",
    "jupyter_mlstudio.serving.protocol",
    "uvicorn.protocols.http.httptools_impl",
    "uvicorn.loops.uvloop",
    "uvloop",
    "starlette.applications",
    "cryptography.fernet",
    "numpy",
    "pandas",
    "joblib",
    "sklearn.linear_model",
    "sklearn.ensemble",
    "sklearn.tree",
    "sklearn.pipeline",
    "sklearn.preprocessing",
)
# Read when a library loads, so a deployment that sets them needs a fresh interpreter.
_IMPORT_TIME_VARIABLES = ("OMP_", "MKL_", "OPENBLAS_", "PYTHON", "LD_")
_REPLY_TIMEOUT_S = 5.0


def zygote_enabled() -> bool:
    """Whether deploys may use the zygote (``MLSTUDIO_SERVING_ZYGOTE`` is not ``0``)."""
    return os.environ.get("MLSTUDIO_SERVING_ZYGOTE", "1") != "0"


def zygote_folder() -> Path:
    """This interpreter's zygote folder under ``MLSTUDIO_HOME`` (socket, pid file, log)."""
    home = Path(os.environ.get("MLSTUDIO_HOME") or Path.home() / ".mlstudio")
    what = f"{sys.executable}\0{os.environ.get('PYTHONPATH', '')}"
    return home / "serving" / hashlib.sha256(what.encode()).hexdigest()[:16]


def can_fork_for(python: str | None, env: dict[str, str]) -> bool:
    """Whether a deployment with this interpreter and environment may be forked.

    Parameters
    ----------
    python : str or None
        The deployment's interpreter (None: the supervisor's own).
    env : dict
        The variables the deployment sets.

    Returns
    -------
    bool
        False when it needs another interpreter or sets a variable that libraries read only
        as they load (thread counts, ``PYTHON*``).
    """
    if python and os.path.realpath(python) != os.path.realpath(sys.executable):
        return False
    return not any(name.startswith(_IMPORT_TIME_VARIABLES) for name in env)


def _socket_path(folder: Path) -> str:
    return str(folder / "zygote.sock")


def fork_from_zygote(runtime_dir: str, env: dict[str, str]) -> tuple[int, float | None] | None:
    """Ask a running zygote to fork the supervisor of ``runtime_dir``.

    Parameters
    ----------
    runtime_dir : str
        The endpoint's runtime folder (its ``spec.json``).
    env : dict
        The environment the supervisor runs with.

    Returns
    -------
    tuple or None
        ``(pid, process start time)`` of the supervisor, or None when no zygote answered (the
        caller starts the supervisor itself).
    """
    path = _socket_path(zygote_folder())
    if not os.path.exists(path):
        return None
    request = {"runtime_dir": runtime_dir, "env": env, "cwd": os.getcwd()}
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(_REPLY_TIMEOUT_S)
            sock.connect(path)
            sock.sendall(json.dumps(request).encode() + b"\n")
            reply = json.loads(sock.makefile("rb").readline() or b"{}")
    except (OSError, ValueError):
        return None
    if "pid" not in reply:
        return None
    return int(reply["pid"]), reply.get("started_at")


def ensure_zygote() -> None:
    """Start this interpreter's zygote unless one runs (a loser of a start race exits)."""
    folder = zygote_folder()
    folder.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError, ValueError):
        os.kill(int((folder / "zygote.pid").read_text()), 0)
        return
    with (folder / "zygote.log").open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_mlstudio.serving.zygote", str(folder)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # outlives the notebook that started it
            close_fds=True,
            cwd=folder,  # not the notebook's folder: each request brings its own
        )
    import threading

    threading.Thread(target=proc.wait, daemon=True, name=f"reap-{proc.pid}").start()


def stop_zygote() -> None:
    """Stop this interpreter's zygote if one runs (the endpoints it forked keep running)."""
    with contextlib.suppress(OSError, ValueError):
        os.kill(int((zygote_folder() / "zygote.pid").read_text()), signal.SIGTERM)


# ---- the zygote --------------------------------------------------------------------------
def _preload() -> dict[str, tuple[float, int]]:
    """Import PRELOAD; returns the stamp (mtime, inode) of each loaded module's file."""
    stamps: dict[str, tuple[float, int]] = {}
    for name in PRELOAD:
        try:
            module = importlib.import_module(name)
        except Exception:  # a library this machine lacks is simply not preloaded
            continue
        file = getattr(module, "__file__", None)
        if file:
            st = os.stat(file)
            stamps[file] = (st.st_mtime, st.st_ino)
    return stamps


def _stale(stamps: dict[str, tuple[float, int]]) -> str | None:
    for file, stamp in stamps.items():
        try:
            st = os.stat(file)
        except OSError:
            return file
        if (st.st_mtime, st.st_ino) != stamp:
            return file
    return None


def _child(request: dict[str, Any], listener: socket.socket, zygote_start_dir: str) -> int:
    """In the forked child: become the endpoint's supervisor."""
    listener.close()
    os.setsid()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    from jupyter_mlstudio.serving.spec import EndpointSpec
    from jupyter_mlstudio.serving.supervisor import Supervisor

    runtime_dir = str(request["runtime_dir"])
    log_file = EndpointSpec.load(runtime_dir).log_file
    log_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.environ.clear()
    os.environ.update({**request.get("env", {}), "PYTHONUNBUFFERED": "1"})
    with contextlib.suppress(OSError):
        os.chdir(str(request.get("cwd") or "/"))
    # ``python -m`` puts its working folder first on sys.path: the requester's, as a
    # supervisor started afresh in that folder would have, not the zygote's own.
    sys.path[:] = [os.getcwd() if p in (zygote_start_dir, "") else p for p in sys.path]
    return Supervisor(runtime_dir, fork_workers=True).run()


def _handle(
    conn: socket.socket, listener: socket.socket, stamps: dict[str, Any], start_dir: str
) -> bool:
    """Answer one request; False when the zygote should exit (its modules changed)."""
    from jupyter_mlstudio.execution.liveness import process_start_time

    conn.settimeout(_REPLY_TIMEOUT_S)
    try:
        request = json.loads(conn.makefile("rb").readline() or b"{}")
    except (OSError, ValueError):
        return True
    stale = _stale(stamps)
    if stale is not None or "runtime_dir" not in request:
        reply: dict[str, Any] = {"error": f"stale: {stale}" if stale else "bad request"}
    else:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                conn.close()
                code = _child(request, listener, start_dir)
            except BaseException:  # the child must never return into the zygote
                import traceback

                traceback.print_exc()
            finally:
                os._exit(code)
        reply = {"pid": pid, "started_at": process_start_time(pid)}
    with contextlib.suppress(OSError):
        conn.sendall(json.dumps(reply).encode() + b"\n")
    return stale is None


def main(argv: list[str] | None = None) -> int:
    """Run the zygote in ``argv[0]`` (its folder) until idle or asked to stop."""
    folder = Path((argv or sys.argv[1:])[0])
    start_dir = os.getcwd()
    idle_seconds = float(os.environ.get("MLSTUDIO_SERVING_ZYGOTE_IDLE", "600"))
    delay = float(os.environ.get("MLSTUDIO_SERVING_ZYGOTE_DELAY", "3"))
    path = _socket_path(folder)
    pid_file = folder / "zygote.pid"
    # One zygote per folder: whoever holds the pid file with a live pid wins.
    with contextlib.suppress(OSError, ValueError):
        other = int(pid_file.read_text())
        if other != os.getpid():
            os.kill(other, 0)
            return 0
    pid_file.write_text(str(os.getpid()))  # early, so deploys meanwhile start no other one
    # The deploy that started us is busy importing the same libraries in fresh processes:
    # on a small machine, importing them now as well would slow it down.
    time.sleep(delay)
    stamps = _preload()
    if pid_file.read_text() != str(os.getpid()):
        return 0  # another zygote started in the same instant and won
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    listener.bind(path)
    listener.listen(64)
    listener.settimeout(1.0)
    stop = False

    def on_term(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    print(f"zygote {os.getpid()} ready: {len(stamps)} modules preloaded", flush=True)
    last = time.monotonic()
    try:
        while not stop and time.monotonic() - last < idle_seconds:
            with contextlib.suppress(ChildProcessError):
                while os.waitpid(-1, os.WNOHANG)[0]:
                    pass  # reap supervisors that ended (their own sessions, our children)
            try:
                conn, _ = listener.accept()
            except (TimeoutError, InterruptedError):
                continue
            last = time.monotonic()
            with conn:
                if not _handle(conn, listener, stamps, start_dir):
                    print("a preloaded module changed on disk; exiting", flush=True)
                    break
    finally:
        listener.close()
        with contextlib.suppress(OSError):
            if pid_file.read_text() == str(os.getpid()):
                pid_file.unlink()
                os.unlink(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
