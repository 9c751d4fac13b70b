"""What every handler shares: the server's root folder, the studio over its workspace (loaded
when it appears, recovering what a restart stopped), a small thread pool for the blocking
store and file calls, and the thread that fires due pipeline schedules."""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from jupyter_mlstudio.errors import WorkspaceNotFoundError
from jupyter_mlstudio.studio import Studio, load_workspace
from jupyter_mlstudio.studio.service import create_workspace, no_workspace_help
from jupyter_mlstudio.studio.upkeep import Recovery, ScheduleTicker, recover

__all__ = ["StudioContext"]


class StudioContext:
    """The studio of the workspace in ``root``, or how to create one."""

    def __init__(self, root: str | Path, *, workers: int = 4) -> None:
        self.root = Path(root).expanduser().resolve()
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mlstudio")
        self._lock = threading.Lock()
        self._studio: Studio | None = None
        self.recovery: Recovery | None = None
        seconds = float(os.environ.get("MLSTUDIO_SCHEDULE_SECONDS", "15"))
        self.schedules = ScheduleTicker(self._workspace_if_any, seconds)

    def start(self) -> None:
        """Load the workspace now (recovering runs and endpoints) and start firing schedules."""
        self.executor.submit(self._workspace_if_any)
        self.schedules.start()

    def _workspace_if_any(self) -> Any:
        try:
            return self.studio().workspace
        except WorkspaceNotFoundError:
            return None
        except Exception:  # e.g. the store is down: logged, retried at the next call
            logging.getLogger("jupyter_mlstudio.studio").exception("loading the workspace")
            return None

    def studio(self) -> Studio:
        """The studio; raises WorkspaceNotFoundError (a 404 that says how to create one)."""
        with self._lock:
            if self._studio is None:
                ws = load_workspace(self.root)
                if ws is None:
                    help_ = no_workspace_help(self.root)
                    raise WorkspaceNotFoundError(
                        help_["message"], hint=help_["hint"], path=str(self.root)
                    )
                self.recovery = recover(ws)
                self._studio = Studio(ws)
            return self._studio

    def create(self, name: str) -> Studio:
        """Create a workspace called ``name`` in ``root`` unless one is there; its studio.

        Parameters
        ----------
        name
            The new workspace's name (letters, digits, ``-``, ``_`` and ``.``).

        Returns
        -------
        Studio
            The studio over the workspace in ``root`` (the existing one if there was one).

        Raises
        ------
        ValidationError
            If ``name`` is not a valid workspace name.
        """
        with self._lock:
            if self._studio is None and load_workspace(self.root) is None:
                create_workspace(self.root, name)
        return self.studio()

    def close(self) -> None:
        """Stop firing schedules and shut the thread pool down, cancelling queued calls."""
        self.schedules.close()
        self.executor.shutdown(wait=False, cancel_futures=True)
