"""Start, signal, watch and stop an endpoint's supervisor (used by the SDK, never by workers)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from jupyter_mlstudio.execution.liveness import is_alive, process_start_time
from jupyter_mlstudio.serving import zygote
from jupyter_mlstudio.serving.spec import EndpointSpec, read_json

__all__ = [
    "free_port",
    "launch_supervisor",
    "port_is_free",
    "read_state",
    "request_update",
    "stop_supervisor",
    "tail_log",
]


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now (the supervisor binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether ``port`` on ``host`` can be bound now, as the supervisor would bind it.

    Parameters
    ----------
    port : int
        The TCP port to try.
    host : str
        The address to try it on.

    Returns
    -------
    bool
        True if a socket with ``SO_REUSEADDR`` could bind it (it is closed again at once).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def launch_supervisor(spec: EndpointSpec) -> tuple[int, float | None]:
    """Start the supervisor in its own session (closing the notebook does not stop it);
    returns (pid, process start time).

    The serving zygote forks it when one runs and every deployment can be forked (see
    ``zygote.py``): its imports are done, so the first answer comes a second or two sooner.
    Otherwise it starts a fresh interpreter, and starts the zygote for the next deploy.
    """
    spec.log_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        spec.state_file.unlink()
    except FileNotFoundError:
        pass
    if zygote.zygote_enabled() and all(
        zygote.can_fork_for(dep.python, dep.env) for dep in spec.deployments
    ):
        forked = zygote.fork_from_zygote(spec.runtime_dir, dict(os.environ))
        if forked is not None:
            return forked
        zygote.ensure_zygote()
    with open(spec.log_file, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_mlstudio.serving.supervisor", spec.runtime_dir],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    # Reap it when it exits, so a stopped supervisor is not left a zombie under this process.
    import threading

    threading.Thread(target=proc.wait, daemon=True, name=f"reap-{proc.pid}").start()
    return proc.pid, process_start_time(proc.pid)


def read_state(runtime_dir: str | Path) -> dict[str, Any] | None:
    """The supervisor's last report, from ``state.json`` in its runtime folder.

    Parameters
    ----------
    runtime_dir : str or Path
        The endpoint's runtime folder.

    Returns
    -------
    dict or None
        The report (``state``, ``generation``, ``pid``, ``port``, ``workers``,
        ``updated_at``, and ``error`` or ``update_error`` when something failed), or None
        when there is no report yet or it cannot be read as JSON.
    """
    try:
        return dict(read_json(Path(runtime_dir) / "state.json"))
    except (FileNotFoundError, ValueError):
        return None


def request_update(pid: int, started_at: float | None) -> bool:
    """Ask the supervisor to load the new generation in spec.json."""
    if not is_alive(pid, started_at):
        return False
    os.kill(pid, signal.SIGHUP)
    return True


def stop_supervisor(pid: int | None, started_at: float | None, timeout: float = 40.0) -> None:
    """Stop the supervisor and its workers: SIGTERM, then SIGKILL of its process group."""
    if pid is None or not is_alive(pid, started_at):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_alive(pid, started_at):
            return
        time.sleep(0.05)
    try:
        os.killpg(pid, signal.SIGKILL)  # its own session: the group is it and its workers
    except ProcessLookupError:
        pass


def tail_log(log_file: Path, num_lines: int) -> str:
    """The last ``num_lines`` lines of an endpoint's log, from at most its last 4 MB.

    Parameters
    ----------
    log_file : Path
        The endpoint's log (the supervisor's and its workers' output).
    num_lines : int
        How many lines to return.

    Returns
    -------
    str
        The lines, newline-terminated; bytes that are not UTF-8 are replaced. Empty when
        there is no log yet.
    """
    try:
        with open(log_file, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 4_000_000))
            lines = fh.read().decode("utf-8", "replace").splitlines()
    except FileNotFoundError:
        return ""
    return "\n".join(lines[-num_lines:]) + ("\n" if lines else "")
