"""An endpoint's supervisor: ``python -m jupyter_mlstudio.serving.supervisor RUNTIME_DIR``.

It binds the endpoint's port once and hands the listening socket to its worker processes,
which all accept from it. That one socket is what makes an update free of failed requests:
on SIGHUP the supervisor re-reads ``spec.json``, starts the new generation's workers on the
same socket, and only when every one of them has finished ``init()`` asks the old ones to
stop (SIGTERM: they stop accepting, finish what they hold, close idle connections). No
connection is refused meanwhile, because the socket never closes. If the new workers fail,
they are stopped and the old ones keep serving.

With several deployments (blue/green) each deployment's workers listen on a private
loopback socket instead, and router processes (``router.py``) serve the public socket,
sharing requests out as ``routes.json`` says.

It reports through ``state.json`` (state, generation, error), restarts a worker that dies,
and on SIGTERM stops its workers and exits.

A supervisor forked by the serving zygote (``zygote.py``) has the serving stack and the usual
scoring libraries imported already, so it forks its workers too instead of starting fresh
interpreters, unless a deployment needs another interpreter or sets variables read at import.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from jupyter_mlstudio.serving.spec import DeploymentSpec, EndpointSpec, write_json_atomic
from jupyter_mlstudio.serving.zygote import can_fork_for

_STOP_GRACE_SECONDS = 35.0
_TICK = 0.1


class ForkedProcess:
    """A worker forked by this supervisor, with the part of ``Popen``'s interface it uses.

    Parameters
    ----------
    pid : int
        The child's process id.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """The exit code once the child ended (reaping it), else None."""
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = -1
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the child to end; raises ``subprocess.TimeoutExpired`` after ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout or 0.0)
            time.sleep(0.01)
        return code

    def send_signal(self, sig: int) -> None:
        """Send ``sig`` to the child unless it has ended."""
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def kill(self) -> None:
        """SIGKILL the child."""
        self.send_signal(signal.SIGKILL)


def _run_forked_worker(runtime_dir: str, deployment: str, keep: tuple[int, int]) -> int:
    """In a freshly forked child: drop the supervisor's signal handlers and descriptors, then
    be a worker."""
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    low = 3
    for fd in sorted(keep):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 65536)
    from jupyter_mlstudio.serving import worker

    return worker.main([runtime_dir, deployment, str(keep[0]), str(keep[1])])


@dataclass
class Worker:
    """A process the supervisor started: a deployment's scoring worker, or a router."""

    deployment: str  # "" for a router
    generation: int
    proc: subprocess.Popen[bytes] | ForkedProcess
    status_fd: int
    listen: socket.socket
    ready: bool = False
    info: dict[str, Any] = field(default_factory=dict)


class Supervisor:
    """Holds an endpoint's socket and keeps its workers running (see the module's text).

    Parameters
    ----------
    runtime_dir : str
        The endpoint's runtime folder, with its ``spec.json``.
    fork_workers : bool
        Fork workers from this process (it has preloaded their imports) where a deployment
        allows it, instead of starting interpreters.
    """

    def __init__(self, runtime_dir: str, fork_workers: bool = False) -> None:
        self.runtime_dir = runtime_dir
        self.fork_workers = fork_workers
        self.spec = EndpointSpec.load(runtime_dir)
        self.sock: socket.socket | None = None
        self.workers: list[Worker] = []
        # Private sockets of each generation's deployments (blue/green), closed on retirement.
        self.private: dict[int, list[socket.socket]] = {}
        self.stop_requested = False
        self.update_requested = False
        self.state: dict[str, Any] = {}

    # ---- reporting -----------------------------------------------------------------------
    def report(self, state: str, **extra: Any) -> None:
        """Write ``state.json``, which the SDK reads for the endpoint's state.

        Parameters
        ----------
        state : str
            ``Transitioning``, ``Healthy``, ``Unhealthy``, ``Failed`` or ``Stopped``.
        **extra
            More fields, such as ``error`` or ``update_error`` (a dict with ``message``).
            The report also holds the generation, this process's id, the port, the ready
            workers' process ids and the time.
        """
        self.state = {
            "state": state,
            "generation": self.spec.generation,
            "pid": os.getpid(),
            "port": self.spec.port,
            "workers": [w.proc.pid for w in self.workers if w.ready],
            "updated_at": time.time(),
            **extra,
        }
        write_json_atomic(self.spec.state_file, self.state)

    @staticmethod
    def say(message: str) -> None:
        """Print ``message`` with the time and this process's id to the endpoint's log."""
        print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} supervisor[{os.getpid()}] {message}")
        sys.stdout.flush()

    # ---- workers -------------------------------------------------------------------------
    def bind(self) -> bool:
        """Bind and listen on the endpoint's host and port, once, for its whole life.

        The socket is inheritable, so workers started later accept from it.

        Returns
        -------
        bool
            False if the port cannot be used; the endpoint is then reported ``Failed``
            (``PortInUse``, with a hint).
        """
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.spec.host, self.spec.port))
        except OSError as exc:
            sock.close()
            message = f"Port {self.spec.port} on {self.spec.host} cannot be used: {exc.strerror}."
            self.say(message)
            self.report(
                "Failed",
                error={
                    "code": "PortInUse",
                    "message": message,
                    "hint": "Choose another port in deploy_configuration(port=...), or stop "
                    "what listens there.",
                },
            )
            return False
        sock.listen(2048)
        sock.set_inheritable(True)
        self.sock = sock
        return True

    def spawn(self, dep: DeploymentSpec | None, generation: int, listen: socket.socket) -> Worker:
        """A scoring worker for ``dep`` (or a router when ``dep`` is None) on ``listen``."""
        r, w = os.pipe()
        if dep is not None and self.fork_workers and can_fork_for(dep.python, dep.env):
            sys.stdout.flush()
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    os.close(r)
                    code = _run_forked_worker(self.runtime_dir, dep.name, (listen.fileno(), w))
                finally:
                    os._exit(code)
            os.close(w)
            return Worker(dep.name, generation, ForkedProcess(pid), r, listen)
        if dep is None:
            args = ["jupyter_mlstudio.serving.router", self.runtime_dir]
        else:
            args = ["jupyter_mlstudio.serving.worker", self.runtime_dir, dep.name]
        proc = subprocess.Popen(
            [(dep and dep.python) or sys.executable, "-m", *args, str(listen.fileno()), str(w)],
            pass_fds=(listen.fileno(), w),
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(dep.env if dep else {}), "PYTHONUNBUFFERED": "1"},
        )
        os.close(w)
        return Worker(dep.name if dep else "", generation, proc, r, listen)

    def wait_ready(self, workers: list[Worker], timeout: float) -> str | None:
        """Wait until each worker reports; the first failure's text, or None if all are up."""
        deadline = time.monotonic() + timeout
        pending = {w.status_fd: w for w in workers}
        failure: str | None = None
        while pending and not self.stop_requested:
            left = deadline - time.monotonic()
            if left <= 0:
                return f"init() did not finish within {timeout:.0f} s."
            readable, _, _ = select.select(list(pending), [], [], min(left, 0.5))
            for fd in readable:
                worker = pending.pop(fd)
                data = os.read(fd, 1 << 20)
                while data and not data.endswith(b"\n"):
                    more = os.read(fd, 1 << 20)
                    if not more:
                        break
                    data += more
                os.close(fd)
                try:
                    info = json.loads(data) if data else {}
                except ValueError:
                    info = {}
                if info.get("ok"):
                    worker.ready = True
                    worker.info = info
                else:
                    failure = failure or (
                        info.get("traceback")
                        or info.get("error")
                        or f"worker exited with code {worker.proc.wait()} before init() ended."
                    )
        if self.stop_requested:
            return "stopped while starting"
        return failure

    def start_generation(self) -> str | None:
        """Start the workers of the spec's generation and wait until each has run ``init()``.

        With one deployment they accept on the endpoint's socket. With several, each
        deployment's workers get a private loopback socket, ``routes.json`` is written and a
        router is started on the endpoint's socket. The workers of earlier generations keep
        serving meanwhile; retiring them is the caller's choice.

        Returns
        -------
        str or None
            None when the new workers serve (they are added to :attr:`workers`); otherwise
            the first failure's text, after the new workers are stopped, their sockets
            closed and the previous ``routes.json`` put back.
        """
        assert self.sock is not None
        generation = self.spec.generation
        routed = len(self.spec.deployments) > 1
        private: dict[str, socket.socket] = {}
        if routed:
            for dep in self.spec.deployments:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.bind(("127.0.0.1", 0))
                sock.listen(2048)
                sock.set_inheritable(True)
                private[dep.name] = sock
        new = [
            self.spawn(dep, generation, private.get(dep.name, self.sock))
            for dep in self.spec.deployments
            for _ in range(max(1, dep.workers))
        ]
        failure = self.wait_ready(new, self.spec.init_timeout)
        routes_file = self.spec.state_file.with_name("routes.json")
        old_routes = routes_file.read_bytes() if routes_file.exists() else None
        if failure is None and routed:
            write_json_atomic(
                self.spec.state_file.with_name("routes.json"),
                {
                    "generation": generation,
                    "routes": {
                        d.name: {"port": private[d.name].getsockname()[1], "traffic": d.traffic}
                        for d in self.spec.deployments
                    },
                },
            )
            routers = [self.spawn(None, generation, self.sock)]
            new += routers
            failure = self.wait_ready(routers, 60.0)
        if failure is not None:
            self.stop_workers(new, grace=2.0)
            for sock in private.values():
                sock.close()
            if routed and old_routes is not None:
                routes_file.write_bytes(old_routes)  # the old routers keep their old ports
            return failure
        self.private[generation] = list(private.values())
        self.workers.extend(new)
        return None

    def retire(self, workers: list[Worker]) -> None:
        """Stop ``workers`` gracefully and forget them.

        A generation's private sockets are closed once none of its workers is left.
        """
        self.stop_workers(workers)
        self.workers = [w for w in self.workers if w not in workers]
        for generation in {w.generation for w in workers}:
            if not any(w.generation == generation for w in self.workers):
                for sock in self.private.pop(generation, []):
                    sock.close()

    @staticmethod
    def stop_workers(workers: list[Worker], grace: float = _STOP_GRACE_SECONDS) -> None:
        """SIGTERM each worker still running, then SIGKILL those still running after ``grace``.

        On SIGTERM a worker stops accepting and finishes the requests it holds.

        Parameters
        ----------
        workers : list of Worker
            The workers to stop.
        grace : float
            Seconds they have, together, to exit on their own.
        """
        for w in workers:
            if w.proc.poll() is None:
                w.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for w in workers:
            try:
                w.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                w.proc.kill()
                w.proc.wait()

    # ---- the loop ------------------------------------------------------------------------
    def update(self) -> None:
        """Move to the generation in ``spec.json`` (asked by SIGHUP) with no request failed.

        The new workers start on the same sockets (host and port never change) while the old
        ones serve; once all are ready the old ones are retired. If ``spec.json`` cannot be
        read or the new workers fail, the old generation keeps serving and the report says
        ``Healthy`` with an ``update_error``.
        """
        old_spec, old_workers = self.spec, list(self.workers)
        try:
            self.spec = EndpointSpec.load(self.runtime_dir)
        except (OSError, ValueError, TypeError) as exc:
            self.report("Healthy", update_error={"message": f"spec.json unreadable: {exc}"})
            return
        self.spec.port, self.spec.host = old_spec.port, old_spec.host
        self.say(f"updating to generation {self.spec.generation}")
        self.report("Transitioning", target_generation=self.spec.generation)
        failure = self.start_generation()
        if failure is not None:
            self.say(f"update to generation {self.spec.generation} failed; keeping the old one")
            failed_generation = self.spec.generation
            self.spec = old_spec
            self.report(
                "Healthy",
                update_error={"generation": failed_generation, "message": failure},
            )
            return
        # The new workers accept from the same socket already; now retire the old ones.
        self.retire(old_workers)
        self.say(f"generation {self.spec.generation} serving")
        self.report("Healthy")

    def revive(self) -> None:
        """Replace workers that died on their own."""
        for w in list(self.workers):
            code = w.proc.poll()
            if code is None:
                continue
            self.workers.remove(w)
            self.say(f"worker {w.proc.pid} ({w.deployment}) exited with {code}; restarting it")
            self.report("Unhealthy", error={"message": f"a worker exited with code {code}"})
            dep = self.spec.deployment(w.deployment) if w.deployment else None
            fresh = self.spawn(dep, w.generation, w.listen)
            failure = self.wait_ready([fresh], self.spec.init_timeout)
            if failure is None:
                self.workers.append(fresh)
                self.report("Healthy")
            else:
                self.report("Unhealthy", error={"message": failure})
                time.sleep(1.0)

    def run(self) -> int:
        """Serve the endpoint until SIGTERM or SIGINT, then stop the workers.

        Binds the port, starts the first generation, then loops: an update on SIGHUP,
        otherwise replacing workers that died.

        Returns
        -------
        int
            0 after a stop, 2 if the port could not be bound, 3 if the first generation's
            ``init()`` failed (the endpoint is reported ``Failed``).
        """
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_update)
        self.report("Transitioning")
        if not self.bind():
            return 2
        self.say(f"listening on http://{self.spec.host}:{self.spec.port}")
        failure = self.start_generation()
        if failure is not None:
            self.say("init() failed; the endpoint is Failed (see the traceback above)")
            self.report("Failed", error={"code": "InitFailed", "message": failure})
            return 3
        self.report("Healthy")
        self.say("Healthy")
        while not self.stop_requested:
            if self.update_requested:
                self.update_requested = False
                self.update()
            else:
                self.revive()
            time.sleep(_TICK)
        self.say("stopping")
        self.stop_workers(self.workers)
        self.workers = []
        self.report("Stopped")
        return 0

    def _on_stop(self, signum: int, frame: object) -> None:
        self.stop_requested = True

    def _on_update(self, signum: int, frame: object) -> None:
        self.update_requested = True


def main(argv: list[str]) -> int:
    """Run the supervisor of the endpoint whose runtime folder is ``argv[0]``.

    Parameters
    ----------
    argv : list of str
        ``[RUNTIME_DIR]``, the folder with the endpoint's ``spec.json``.

    Returns
    -------
    int
        The exit code of :meth:`Supervisor.run`.
    """
    return Supervisor(argv[0]).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
