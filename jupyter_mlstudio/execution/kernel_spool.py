"""Warm kernels shared by every pipeline run on this machine: a spool daemon keeps a few
kernels of this Python started ahead of need, and a pipeline controller claims one per step.

Starting a kernel costs a second or more; a controller that starts its own pays it before its
first notebook step. The daemon (``python -m jupyter_mlstudio.execution.kernel_spool``) is
started on first use, keeps ``MLSTUDIO_KERNEL_SPOOL_SIZE`` kernels on offer (default 6,
about 50 MB each: pipelines submitted one after another take one per notebook step, faster
than a busy machine starts them), refills what is claimed (``MLSTUDIO_KERNEL_SPOOL_PARALLEL``
starting at once, default 2), and exits after a while without claims
(``MLSTUDIO_KERNEL_SPOOL_IDLE`` seconds, default 600). A kernel is used for one step only
and then killed, so no state leaks between steps; one a pipeline claimed and never used goes
back on offer.

The spool is a folder: the daemon writes ``ready/<id>.json`` (connection info and process id)
once a kernel answers; a controller claims one by renaming it into ``claimed/`` (one rename
wins), then talks to the kernel over its ports. The step's environment and working folder
are set by the code the controller runs first in the kernel (see ``notebook_runner``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import traceback
import uuid
from pathlib import Path
from typing import Any

__all__ = [
    "adopt_kernel",
    "claim_kernel",
    "daemon_running",
    "kernel_pid",
    "release_kernel",
    "spool_folder",
    "spool_size",
    "stop_daemon",
]

_POLL_SECONDS = 0.1


def spool_folder(kernel_name: str = "python3") -> Path:
    """The spool of this Python's ``kernel_name`` kernels, under ``MLSTUDIO_HOME``."""
    home = Path(os.environ.get("MLSTUDIO_HOME") or Path.home() / ".mlstudio")
    # PYTHONPATH shapes a kernel's sys.path at its start: kernels differ with it.
    what = f"{sys.executable}\0{kernel_name}\0{os.environ.get('PYTHONPATH', '')}"
    key = hashlib.sha256(what.encode()).hexdigest()[:16]
    return home / "kernels" / key


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def kernel_pid(km: Any) -> int | None:
    """The process id of a kernel, whoever started it."""
    adopted = getattr(km, "adopted_pid", None)
    if adopted is not None:
        return int(adopted)
    return getattr(getattr(km, "provisioner", None), "pid", None)


def _async_manager_class() -> type:
    from jupyter_client.manager import AsyncKernelManager

    class _Adopted(AsyncKernelManager):  # type: ignore[misc]
        """A kernel the spool daemon started: known by its connection info and process id.
        Shutting it down kills it (it is used for one step only)."""

        adopted_pid: int | None = None

        @property
        def has_kernel(self) -> bool:
            return self.adopted_pid is not None

        async def _async_is_alive(self) -> bool:
            return self.adopted_pid is not None and _alive(self.adopted_pid)

        async def _async_interrupt_kernel(self) -> None:
            if self.adopted_pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.adopted_pid, signal.SIGINT)

        async def _async_shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
            pid, self.adopted_pid = self.adopted_pid, None
            if pid is None:
                return
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + (0.5 if now else 3.0)
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.02)
            with contextlib.suppress(ProcessLookupError):
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)

        # The public names are bound to the base's functions: bind them to these.
        shutdown_kernel = _async_shutdown_kernel  # type: ignore[assignment]
        interrupt_kernel = _async_interrupt_kernel  # type: ignore[assignment]
        is_alive = _async_is_alive  # type: ignore[assignment]

    return _Adopted


def adopt_kernel(info: dict[str, Any]) -> Any:
    """A kernel manager over the spool kernel described by ``info``."""
    km = _async_manager_class()(kernel_name=info.get("kernel_name", "python3"))
    km.load_connection_info(info["connection"])
    km.adopted_pid = int(info["pid"])
    return km


def claim_kernel(kernel_name: str = "python3", start_daemon: bool = True) -> Any | None:
    """A warm kernel from the spool, or None when none is ready (the daemon is then started,
    so the next claim finds one)."""
    folder = spool_folder(kernel_name)
    ready, claimed = folder / "ready", folder / "claimed"
    if ready.is_dir():
        claimed.mkdir(parents=True, exist_ok=True)
        for entry in sorted(ready.glob("*.json"), key=lambda p: p.stat().st_mtime):
            target = claimed / entry.name
            try:
                entry.rename(target)  # the one rename that wins claims it
            except (FileNotFoundError, OSError):
                continue
            try:
                info = json.loads(target.read_text())
                # The daemon kills the kernel should its claimer die without doing so.
                _write_atomic(target, {**info, "owner": os.getpid()})
            except (OSError, ValueError):
                target.unlink(missing_ok=True)
                continue
            if _alive(int(info["pid"])):
                km = adopt_kernel(info)
                km.spool_claim, km.spool_info = target, info  # see release_kernel
                return km
            target.unlink(missing_ok=True)
    if start_daemon:
        ensure_daemon(kernel_name)
    return None


def release_kernel(km: Any) -> bool:
    """Offer a claimed kernel that ran nothing back to the spool (a pipeline whose steps
    ended before it needed it); False when it cannot be, and the caller shuts it down."""
    claim, info = getattr(km, "spool_claim", None), getattr(km, "spool_info", None)
    if claim is None or info is None or not _alive(int(info["pid"])):
        return False
    folder = claim.parent.parent
    try:
        # Offered only while a daemon lives: it ends the kernels on offer when it ends.
        if not _alive(int((folder / "daemon.pid").read_text())):
            return False
        _write_atomic(folder / "ready" / claim.name, info)
    except (OSError, ValueError):
        return False
    claim.unlink(missing_ok=True)
    km.adopted_pid = None  # this manager no longer owns it
    return True


def _write_atomic(path: Path, info: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(info))
    tmp.rename(path)


def _sweep_claims(claimed: Path) -> None:
    """Forget claims whose kernel ended; kill kernels whose claimer died first."""
    for entry in claimed.glob("*.json"):
        try:
            info = json.loads(entry.read_text())
        except (OSError, ValueError):
            continue
        pid, owner = int(info["pid"]), info.get("owner")
        if not _alive(pid):
            entry.unlink(missing_ok=True)
        elif owner is not None and not _alive(int(owner)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            entry.unlink(missing_ok=True)


def daemon_running(kernel_name: str = "python3") -> bool:
    """Whether this spool's daemon runs (so a claim that found nothing will soon find one)."""
    try:
        return _alive(int((spool_folder(kernel_name) / "daemon.pid").read_text()))
    except (OSError, ValueError):
        return False


def spool_size() -> int:
    """How many kernels the daemon keeps on offer (``MLSTUDIO_KERNEL_SPOOL_SIZE``, default 6)."""
    return int(os.environ.get("MLSTUDIO_KERNEL_SPOOL_SIZE", "6"))


def ensure_daemon(kernel_name: str = "python3") -> None:
    """Start the spool daemon unless one runs (it exits at once if it loses the race)."""
    folder = spool_folder(kernel_name)
    folder.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError, ValueError):
        if _alive(int((folder / "daemon.pid").read_text())):
            return
    log = (folder / "daemon.log").open("ab")
    subprocess.Popen(
        [sys.executable, "-m", "jupyter_mlstudio.execution.kernel_spool", str(folder), kernel_name],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=True,  # outlives the controller that started it
        close_fds=True,
    )
    log.close()


def stop_daemon(kernel_name: str = "python3") -> None:
    """Stop this spool's daemon, if one runs (its kernels on offer end with it)."""
    with contextlib.suppress(OSError, ValueError):
        os.kill(int((spool_folder(kernel_name) / "daemon.pid").read_text()), signal.SIGTERM)


# ---- the daemon --------------------------------------------------------------------------
_STARTING_POLL_SECONDS = 0.02
_START_TIMEOUT_SECONDS = 60.0


class _Starting:
    """A kernel the daemon started, offered once it answers a kernel_info request (the
    claimer's own client checks its output channel; see ``notebook_runner``)."""

    def __init__(self, km: Any, client: Any, msg_id: str, started: float) -> None:
        self.km, self.client, self.msg_id, self.started = km, client, msg_id, started
        self.asked = started

    def poll(self) -> str:
        """``ready``, ``failed`` (died or too slow) or still ``starting``."""
        from queue import Empty

        while True:
            try:
                msg = self.client.shell_channel.get_msg(timeout=0)
            except Empty:
                break
            if msg["msg_type"] == "kernel_info_reply":
                return "ready"
        now = time.monotonic()
        if not self.km.is_alive() or now - self.started > _START_TIMEOUT_SECONDS:
            return "failed"
        if now - self.asked > 1.0:  # asked again, should the first request have been lost
            self.asked = now
            self.client.kernel_info()
        return "starting"


def _serve(
    folder: Path, kernel_name: str, size: int, idle_seconds: float, parallel: int = 2
) -> int:
    import fcntl

    from jupyter_client.manager import KernelManager

    folder.mkdir(parents=True, exist_ok=True)
    lock = (folder / "daemon.lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return 0  # another daemon serves this spool
    (folder / "daemon.pid").write_text(str(os.getpid()))
    ready, claimed = folder / "ready", folder / "claimed"
    ready.mkdir(exist_ok=True)
    claimed.mkdir(exist_ok=True)
    for stale in ready.glob("*.json"):  # kernels of a daemon that died
        with contextlib.suppress(OSError, ValueError):
            pid = int(json.loads(stale.read_text())["pid"])
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        stale.unlink(missing_ok=True)
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    managers: dict[str, Any] = {}  # every kernel this daemon started, until it ends
    starting: dict[str, _Starting] = {}  # kernels started, not yet answering
    last_claim = time.monotonic()
    try:
        while not stop["now"]:
            offered = {p.stem for p in ready.glob("*.json")}
            for kid in [k for k in managers if k not in offered]:
                last_claim = time.monotonic()
                if not managers[kid].is_alive():  # used and killed: reap it
                    managers.pop(kid).cleanup_resources()
            _sweep_claims(claimed)
            if time.monotonic() - last_claim > idle_seconds:
                break
            # Up to ``parallel`` kernels start at once: a drained spool refills sooner.
            while len(offered) + len(starting) < size and len(starting) < parallel:
                kid = uuid.uuid4().hex
                km = KernelManager(kernel_name=kernel_name)
                try:
                    # Independent: a kernel in use lives on if this daemon ends (its
                    # claimer kills it after its step; see _sweep_claims if it died).
                    km.start_kernel(independent=True)
                except Exception:  # a broken kernelspec: said in the log, tried again later
                    traceback.print_exc()
                    time.sleep(5)
                    break
                client = km.client()
                client.start_channels()
                starting[kid] = _Starting(km, client, client.kernel_info(), time.monotonic())
            for kid, start in list(starting.items()):
                state = start.poll()
                if state == "starting":
                    continue
                starting.pop(kid).client.stop_channels()
                if state == "failed":
                    start.km.shutdown_kernel(now=True)
                    continue
                km = start.km
                managers[kid] = km
                info = {
                    "pid": km.provisioner.pid,
                    "kernel_name": kernel_name,
                    "connection": km.get_connection_info(),
                }
                info["connection"]["key"] = info["connection"]["key"].decode()
                _write_atomic(ready / f"{kid}.json", info)
                offered.add(kid)
                last_claim = time.monotonic()  # idle counts from the last claim or offer
            time.sleep(_STARTING_POLL_SECONDS if starting else _POLL_SECONDS)
    finally:
        # Kernels still on offer are taken back (a claim may win the race: that one lives);
        # kernels in use are left to the steps using them.
        for entry in ready.glob("*.json"):
            closing = folder / f".closing-{entry.name}"
            try:
                entry.rename(closing)
            except OSError:
                continue
            closing.unlink(missing_ok=True)
            with contextlib.suppress(Exception):
                managers[entry.stem].shutdown_kernel(now=True)
        for start in starting.values():
            start.client.stop_channels()
            with contextlib.suppress(Exception):
                start.km.shutdown_kernel(now=True)
        (folder / "daemon.pid").unlink(missing_ok=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    folder, kernel_name = Path(args[0]), args[1] if len(args) > 1 else "python3"
    size = spool_size()
    parallel = int(os.environ.get("MLSTUDIO_KERNEL_SPOOL_PARALLEL", "2"))
    idle = float(os.environ.get("MLSTUDIO_KERNEL_SPOOL_IDLE", "600"))
    return _serve(folder, kernel_name, size, idle, parallel)


if __name__ == "__main__":
    sys.exit(main())
