"""Notebook steps on warm kernels: a pool of pre-started kernels, each used for one step.

Starting a kernel is most of what a short notebook step costs (about a second here). A
``KernelPool`` keeps kernels started ahead of need; ``run_notebook`` takes one, prepares it
for the step (environment, working folder), executes the parameterized notebook with
nbclient, writes the executed copy, and the kernel is then shut down: no state leaks from
one step to the next. User code runs in the kernel's own process, never in the caller's.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

__all__ = ["KernelPool", "NotebookOutcome", "preload_notebook_modules", "run_notebook"]


@dataclass
class NotebookOutcome:
    """The result of :func:`run_notebook`.

    Attributes
    ----------
    ok : bool
        Whether every cell ran without an error.
    error : dict or None
        Why not: ``code`` (``NotebookCellError``, ``KernelDied`` or ``Canceled``) and
        ``message``; a cell error adds ``cellIndex``, ``ename``, ``evalue`` and the last 20
        lines of ``traceback``.
    cells : int
        Cells in the notebook.
    timings : dict of str to float
        Seconds spent: ``prepare`` (readying the kernel) and ``total``.
    """

    ok: bool
    error: dict[str, Any] | None = None
    cells: int = 0
    timings: dict[str, float] = field(default_factory=dict)


SPOOL_WAIT_SECONDS = 5.0  # how long a pool waits for the spool's next kernel


class KernelPool:
    """Kernels of this Python started ahead of need; ``checkout`` hands one out and starts
    a replacement in the background."""

    def __init__(
        self,
        size: int = 1,
        kernel_name: str = "python3",
        spool: bool = True,
        limit: int | None = None,
    ) -> None:
        self._ready: queue.Queue[Any] = queue.Queue()
        # At most ``limit`` kernels in all (the steps that will need one): none wasted.
        self._limit = limit
        self._provided = 0
        self._kernel_name = kernel_name
        self._closed = False
        self._lock = threading.Lock()
        self._starting: list[threading.Thread] = []
        # Warm kernels come from the machine's spool when it has some (see kernel_spool).
        self._spool = spool and os.environ.get("MLSTUDIO_KERNEL_SPOOL", "1") != "0"
        for _ in range(max(1, size)):
            self._fill()
        # What running a notebook imports (a second or more) is loaded while kernels warm up.
        # (Joined before a kernel is handed out: two threads importing one package at once
        # can trip over its circular imports.)
        self._preload = threading.Thread(
            target=preload_notebook_modules, name="mlstudio-preload", daemon=True
        )
        self._preload.start()

    def _fill(self) -> None:
        if self._limit is not None and self._provided >= self._limit:
            return
        self._provided += 1
        if self._spool:
            from jupyter_mlstudio.execution.kernel_spool import claim_kernel

            try:
                km = claim_kernel(self._kernel_name)
            except Exception:  # the spool is an optimisation: start a kernel instead
                import traceback

                traceback.print_exc()
                km = None
            if km is not None:
                self._ready.put(km)
                return
            from jupyter_mlstudio.execution.kernel_spool import daemon_running

            if daemon_running(self._kernel_name):
                # The daemon is refilling (two at a time): its next kernel comes about as
                # soon as one of our own would, without a third start fighting for the CPU.
                thread = threading.Thread(
                    target=self._await_spool, name="mlstudio-kernel-claim", daemon=True
                )
                thread.start()
                self._starting.append(thread)
                return
        self._start_one()

    def _await_spool(self) -> None:
        """Claim the spool's next kernel; start one of our own if none comes in time."""
        import time

        from jupyter_mlstudio.execution.kernel_spool import claim_kernel, release_kernel

        deadline = time.monotonic() + SPOOL_WAIT_SECONDS
        while time.monotonic() < deadline:
            with self._lock:
                if self._closed:
                    return
            try:
                km = claim_kernel(self._kernel_name, start_daemon=False)
            except Exception:  # a spool folder in a bad state: our own kernel instead
                break
            if km is not None:
                with self._lock:
                    closed = self._closed
                if closed and not release_kernel(km):
                    shutdown_kernel(km)
                elif not closed:
                    self._ready.put(km)
                return
            time.sleep(0.02)
        self._start_one()

    def _start_one(self) -> None:
        def start() -> None:
            # An async manager: nbclient then waits on its channels without blocking its
            # loop, so it notices a kernel killed by a cancel (a blocking one never does).
            from jupyter_client.manager import AsyncKernelManager

            km = AsyncKernelManager(kernel_name=self._kernel_name)
            try:
                asyncio.run(km.start_kernel())
                client = _ready_client(km)
                try:
                    client.wait_for_ready(timeout=60)
                finally:
                    client.stop_channels()
            except Exception as exc:  # handed to the step that takes it, as its error
                self._ready.put(exc)
                return
            with self._lock:
                closed = self._closed
            if closed:
                shutdown_kernel(km)
            else:
                self._ready.put(km)

        thread = threading.Thread(target=start, name="mlstudio-kernel-start", daemon=True)
        thread.start()
        self._starting.append(thread)

    def checkout(self, timeout: float = 120) -> Any:
        """A started kernel manager, for one step only."""
        item = self._ready.get(timeout=timeout)
        self._preload.join()
        if not self._closed:
            self._fill()
        if isinstance(item, Exception):
            raise item
        return item

    def close(self) -> None:
        """Stop taking kernels: wait for those starting, and shut down the unused ones."""
        with self._lock:
            self._closed = True
        for thread in self._starting:
            thread.join(timeout=60)
        while not self._ready.empty():
            item = self._ready.get_nowait()
            if isinstance(item, Exception):
                continue
            from jupyter_mlstudio.execution.kernel_spool import release_kernel

            if not release_kernel(item):  # unused: a spool kernel goes back on offer
                shutdown_kernel(item)


def preload_notebook_modules() -> None:
    """Import what running a notebook on a warm kernel needs (a second or more: nbclient,
    papermill, jupyter_client), without jsonschema's slow ``rfc3987_syntax``."""
    from jupyter_mlstudio.execution._imports import skip_slow_format_checkers

    skip_slow_format_checkers()
    import tempfile

    import jupyter_client.asynchronous
    import jupyter_client.blocking
    import jupyter_client.manager  # noqa: F401
    import nbclient
    import nbclient.exceptions
    import nbformat
    import zmq.asyncio  # noqa: F401
    from nbformat.v4 import new_code_cell, new_notebook
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    # A first notebook's reading builds nbformat's schema validator and papermill's lookup
    # tables (half a second here): done now, on a notebook of our own (no kernel).
    cell = new_code_cell("x = 1", metadata={"tags": ["parameters"]})
    spec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = new_notebook(cells=[cell], metadata={"kernelspec": spec})
    with tempfile.TemporaryDirectory(prefix="mlstudio-preload-") as folder:
        path = f"{folder}/warm.ipynb"
        nbformat.write(nb, path)
        nb = load_notebook_node(path)
    nb = parameterize_notebook(nb, {"x": 2}, kernel_name="python3", language="python")
    nbclient.NotebookClient(nb, timeout=None)


def shutdown_kernel(km: Any, now: bool = True) -> None:
    """Stop a pool kernel from any thread."""
    asyncio.run(km.shutdown_kernel(now=now))


def _ready_client(km: Any) -> Any:
    from jupyter_client.blocking import BlockingKernelClient

    # A blocking client over the async manager's kernel; with the manager as its parent it
    # asks the manager whether the kernel lives (a heartbeat not yet beating reads as dead).
    client = BlockingKernelClient(**km.get_connection_info(session=True), parent=km)
    client.start_channels()
    return client


async def _execute(
    km: Any, client: Any, prepare: str, flush: str, timings: dict[str, float], started: float
) -> None:
    """Prepare the kernel, run the notebook, flush its metrics: all over one client.

    One client, readied once: a new client per stage each waited up to 0.2 s for its
    IOPub subscription (``wait_for_ready``), most of a trivial step's time."""
    import time

    kc = km.client()
    kc.start_channels()
    try:
        await _until_ready(kc)
        await _run_async(kc, prepare)
        timings["prepare"] = time.perf_counter() - started
        kc.allow_stdin = False
        client.kc = kc  # nbclient uses it as is (it starts a client only when it has none)
        await client.async_execute()
        await _run_async(kc, flush)
    finally:
        kc.stop_channels()


async def _until_ready(kc: Any, timeout: float = 60.0) -> None:
    """Wait until the kernel answers on the shell channel and its IOPub messages reach us.

    ``wait_for_ready`` waits 0.2 s for IOPub after each kernel_info reply; a subscription
    takes milliseconds to be live, so this asks again every 20 ms instead."""
    import time
    from queue import Empty

    from nbclient.exceptions import DeadKernelError

    deadline = time.monotonic() + timeout
    while True:
        msg_id = kc.kernel_info()
        replied = False
        while not replied:
            try:
                msg = await kc.shell_channel.get_msg(timeout=0.5)
            except Empty:
                if not await kc.is_alive():
                    raise DeadKernelError("The kernel died before it was ready.") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"The kernel did not answer in {timeout:.0f} s.") from None
                msg_id = kc.kernel_info()
                continue
            replied = msg["parent_header"].get("msg_id") == msg_id
        try:
            await kc.iopub_channel.get_msg(timeout=0.02)
        except Empty:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"The kernel's output did not reach us in {timeout:.0f} s."
                ) from None
            continue
        # Connected; what the kernel published for our kernel_info requests is not needed.
        while True:
            try:
                await kc.iopub_channel.get_msg(timeout=0)
            except Empty:
                return


async def _run_async(kc: Any, code: str) -> None:
    """Run ``code`` (no history, outputs ignored) and wait for its reply."""
    from queue import Empty

    from nbclient.exceptions import DeadKernelError

    msg_id = kc.execute(code, store_history=False, allow_stdin=False)
    while True:
        try:
            msg = await kc.shell_channel.get_msg(timeout=1)
        except Empty:
            if not await kc.is_alive():
                raise DeadKernelError("The kernel died.") from None
            continue
        if msg["parent_header"].get("msg_id") == msg_id:
            break
    if msg["content"]["status"] != "ok":
        raise RuntimeError(f"Preparing the kernel failed: {msg['content'].get('evalue')}")


def run_notebook(
    km: Any,
    notebook: Path,
    executed: Path,
    parameters: dict[str, Any],
    workdir: Path,
    env: dict[str, str],
    log: IO[str],
    should_stop: Callable[[], bool] = lambda: False,
) -> NotebookOutcome:
    """Execute ``notebook`` with ``parameters`` on the started kernel ``km``; the executed
    copy goes to ``executed`` (also when a cell fails). Shuts the kernel down at the end."""
    import time

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, DeadKernelError
    from papermill.parameterize import parameterize_notebook

    timings: dict[str, float] = {}
    started = time.perf_counter()
    from papermill.iorw import load_notebook_node

    source = load_notebook_node(str(notebook))  # as papermill reads it (every cell has tags)
    language = (
        source.metadata.get("kernelspec", {}).get("language")
        or source.metadata.get("language_info", {}).get("name")
        or "python"
    )
    nb = parameterize_notebook(source, parameters, kernel_name="python3", language=language)
    current = {"index": -1}

    def on_execute(cell: Any, cell_index: int, **_: Any) -> None:
        current["index"] = cell_index

    # The controller's environment too: a spool kernel was started by another process.
    prepare = (
        "import os as _os, sys as _sys\n"
        f"_os.environ.update({json.dumps({**os.environ, **env})})\n"
        f"_os.chdir({str(workdir)!r})\n"
        f"_sys.path.insert(0, {str(workdir)!r})\n"
        "del _os, _sys\n"
    )
    # Metrics the notebook logged are written before the step is called finished.
    flush = (
        "import sys as _sys\n"
        "if 'jupyter_mlstudio.core.workspace' in _sys.modules:\n"
        "    from jupyter_mlstudio.core.workspace import Workspace as _W\n"
        "    _w = _W._from_env()\n"
        "    if _w is not None and '_run_logger' in _w.__dict__:\n"
        "        _w._run_logger.flush_all()\n"
    )

    class _LoggingClient(NotebookClient):
        """Writes each output to the step's log as it arrives (the log is followed live)."""

        def output(self, outs: Any, msg: Any, display_id: Any, cell_index: int) -> Any:
            content = msg.get("content", {})
            text = content.get("text") or content.get("data", {}).get("text/plain") or ""
            if msg.get("msg_type") == "error":
                text = f"{content.get('ename')}: {content.get('evalue')}"
            if text:
                log.write(text if text.endswith("\n") else text + "\n")
                log.flush()
            return super().output(outs, msg, display_id, cell_index)

    client = _LoggingClient(nb, km=km, timeout=None, allow_errors=False, on_cell_execute=on_execute)
    outcome = NotebookOutcome(ok=True)
    try:
        asyncio.run(_execute(km, client, prepare, flush, timings, started))
    except CellExecutionError as exc:
        index = current["index"]
        outcome = NotebookOutcome(
            ok=False,
            error={
                "code": "NotebookCellError",
                "cellIndex": index,
                "ename": exc.ename,
                "evalue": exc.evalue,
                "traceback": [str(line) for line in str(exc.traceback).splitlines()][-20:],
                "message": f"Cell {index} of {notebook.name} raised {exc.ename}: {exc.evalue}",
            },
        )
        log.write(outcome.error["message"] + "\n")
    except DeadKernelError as exc:
        outcome = NotebookOutcome(
            ok=False,
            error={
                "code": "Canceled" if should_stop() else "KernelDied",
                "message": "The step was canceled."
                if should_stop()
                else f"The notebook's kernel died: {exc}",
            },
        )
    finally:
        executed.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, executed)
        threading.Thread(target=shutdown_kernel, args=(km, False), daemon=True).start()
    outcome.cells = len(nb.cells)
    timings["total"] = time.perf_counter() - started
    outcome.timings = timings
    return outcome
