"""Live updates for the studio: what changed in the workspace since the last poll, as events.

One :class:`ChangeFeed` per workspace is polled by the server (once a second, only while a
client listens) and its events are pushed to every client; no panel polls its rows.

Events::

    {"type": "run", "runId", "experiment", "parentRunId", "status", "new": bool}
    {"type": "metrics", "runId", "key", "steps": [...], "values": [...]}
    {"type": "resync"}            more points arrived than one event carries: refetch
    {"type": "run_deleted", "runId"}
    {"type": "log", "runId", "name", "text", "offset"}      (per subscriber, see LogFollower)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.core._streaming import LOG_NAME
from jupyter_mlstudio.studio.serialize import json_safe

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace
    from jupyter_mlstudio.studio.runs import RunService

__all__ = ["ChangeFeed", "LogFollower"]


class ChangeFeed:
    """Turns the store's change batches into events; keeps the cursor between polls."""

    def __init__(self, workspace: Workspace, max_points: int = 5000) -> None:
        self._studio = workspace._store.studio
        self._max_points = max_points
        self._cursor: dict[str, Any] | None = None

    def start(self) -> None:
        """Start from now: what happened before is what the REST routes show."""
        self._cursor = self._studio.changes(None).cursor

    def poll(self) -> list[dict[str, Any]]:
        """The events since the last poll (see the module docstring for their shapes).

        The first poll only sets the cursor at the present and returns no events. Metric points
        are grouped into one ``metrics`` event per run and key; when more points arrived than
        one poll carries, a ``resync`` event follows them.
        """
        if self._cursor is None:
            self.start()
            return []
        batch = self._studio.changes(self._cursor, max_points=self._max_points)
        self._cursor = batch.cursor
        events: list[dict[str, Any]] = [
            {
                "type": "run",
                "runId": c.run_id,
                "experiment": c.experiment_name,
                "parentRunId": c.parent_run_id,
                "status": c.status,
                "new": c.is_new,
            }
            for c in batch.runs
        ]
        events += [{"type": "run_deleted", "runId": rid} for rid in batch.deleted_runs]
        grouped: dict[tuple[str, str], dict[str, Any]] = {}
        for p in batch.metrics:
            event = grouped.setdefault(
                (p.run_id, p.key),
                {"type": "metrics", "runId": p.run_id, "key": p.key, "steps": [], "values": []},
            )
            event["steps"].append(p.step)
            event["values"].append(p.value)
        events += [json_safe(e) for e in grouped.values()]
        if batch.metrics_truncated:
            events.append({"type": "resync"})
        return events


class LogFollower:
    """New whole lines of one run's log since the last read, for one subscriber."""

    def __init__(
        self, runs: RunService, run_id: str, name: str = LOG_NAME, offset: int | None = None
    ) -> None:
        self._runs = runs
        self.run_id = run_id
        self.name = name
        self._offset = offset

    def poll(self) -> dict[str, Any] | None:
        """A ``log`` event with the text written since the last poll, or None when there is none.

        The first poll only finds the end of the log (the client read the tail over REST) and
        returns None.
        """
        if self._offset is None:  # start at the end: the client read the tail over REST
            chunk = self._runs.read_log(self.run_id, self.name, tail=0)
            self._offset = chunk.offset if chunk.size else 0
            return None
        chunk = self._runs.read_log(self.run_id, self.name, offset=self._offset)
        if not chunk.text:
            return None
        self._offset = chunk.offset
        return {
            "type": "log",
            "runId": self.run_id,
            "name": self.name,
            "text": chunk.text,
            "start": chunk.start,
            "offset": chunk.offset,
        }
