"""What the process hosting the studio does for a workspace beyond answering requests:
bring back what a restart stopped (sweeps, pipeline runs, endpoints), and fire due schedules.

Recovery runs when the studio first loads a workspace, before anything reads a run's status:
a status read would otherwise find a dead controller and mark its run failed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace

__all__ = ["Recovery", "ScheduleTicker", "recover"]

log = logging.getLogger("jupyter_mlstudio.studio")


@dataclass
class Recovery:
    """What ``recover`` brought back, and what it could not (as messages)."""

    sweeps: list[str] = field(default_factory=list)
    pipeline_runs: list[str] = field(default_factory=list)
    endpoints: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def recover(workspace: Workspace) -> Recovery:
    """Resume unfinished sweeps and pipeline runs whose controller is gone, and restart this
    host's endpoints whose process is gone. One failing part never stops the others."""
    from jupyter_mlstudio.core.webservice.restore import restore_endpoints
    from jupyter_mlstudio.pipeline._controller import resume_pipeline_runs
    from jupyter_mlstudio.train.hyperdrive.resume import resume_sweeps

    done = Recovery()
    parts: list[tuple[str, Callable[[Workspace], list[str]], list[str]]] = [
        ("sweeps", resume_sweeps, done.sweeps),
        ("pipeline runs", resume_pipeline_runs, done.pipeline_runs),
        ("endpoints", restore_endpoints, done.endpoints),
    ]
    for what, fn, into in parts:
        try:
            into.extend(fn(workspace))
        except Exception as exc:  # reported; the studio still starts
            log.exception("jupyter_mlstudio: could not resume %s", what)
            done.problems.append(f"Resuming {what} failed: {type(exc).__name__}: {exc}")
        if into:
            log.info("jupyter_mlstudio: resumed %s: %s", what, ", ".join(into))
    return done


class ScheduleTicker:
    """A daemon thread that fires due pipeline schedules every ``seconds``.

    Several processes may tick over one workspace: each firing is claimed in the store, so
    it starts one pipeline run whichever process sees it first.
    """

    def __init__(self, workspace_of: Callable[[], Workspace | None], seconds: float = 15.0) -> None:
        self._workspace_of = workspace_of
        self._seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="mlstudio-schedules", daemon=True)

    def start(self) -> None:
        """Start the ticking thread (once; a thread cannot be started twice)."""
        self._thread.start()

    def tick(self, now: float | None = None) -> list[str]:
        """Fire what is due at ``now`` (default: now); returns the pipeline run ids started."""
        import warnings

        from jupyter_mlstudio.pipeline.core.schedule import run_due_schedules

        ws = self._workspace_of()
        if ws is None:
            return []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            started = run_due_schedules(ws, now)
        for warning in caught:
            log.warning("jupyter_mlstudio: %s", warning.message)
        if started:
            log.info("jupyter_mlstudio: schedules started %s", ", ".join(started))
        return started

    def _loop(self) -> None:
        while not self._stop.wait(self._seconds):
            try:
                self.tick()
            except Exception:  # a store hiccup must not end the scheduler
                log.exception("jupyter_mlstudio: firing schedules failed")

    def close(self) -> None:
        """Ask the thread to stop (after any tick in progress); does not wait for it to end."""
        self._stop.set()
