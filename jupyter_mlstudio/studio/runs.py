"""Experiments and runs for the studio: search pages, details, metric series, logs, artifacts,
children and permanent deletion."""

from __future__ import annotations

import mimetypes
import posixpath
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.core._run_files import RunFiles, run_prefix
from jupyter_mlstudio.core._streaming import LOG_NAME
from jupyter_mlstudio.core.run import Run
from jupyter_mlstudio.errors import ArtifactNotFoundError, ConflictError, ValidationError
from jupyter_mlstudio.store import RunsFilter
from jupyter_mlstudio.studio.query import RunQuery
from jupyter_mlstudio.studio.serialize import json_safe, run_summary
from jupyter_mlstudio.studio.series import DEFAULT_MAX_POINTS, Series, downsample

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace

__all__ = ["Artifact", "LogChunk", "RunService"]

DEFAULT_LOG_TAIL = 64 * 1024
# Served inline (the run view previews them); anything else is sent as a download, so a
# run's HTML or SVG file can never run script on the Jupyter server's origin.
_INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "text/plain"}
_TEXT_SUFFIXES = (".txt", ".log", ".json", ".csv", ".yaml", ".yml", ".py", ".md")


@dataclass(frozen=True)
class LogChunk:
    """Whole lines of a run's log read from a byte range.

    Attributes
    ----------
    name : str
        The log's path inside the run.
    text : str
        The lines read (UTF-8, undecodable bytes replaced); a partial last line is left for
        the next read.
    start : int
        Byte offset where ``text`` starts.
    offset : int
        Byte offset to ask for next (just after the last whole line).
    size : int
        The log's size in bytes when it was read (0 when it does not exist yet).
    """

    name: str
    text: str
    start: int  # byte offset where ``text`` starts
    offset: int  # byte offset to ask for next
    size: int


@dataclass(frozen=True)
class Artifact:
    """What the server needs to send one run file.

    Attributes
    ----------
    name : str
        The file's path inside the run.
    content_type : str
        Its MIME type (text for common text suffixes, else guessed from the name).
    inline : bool
        Whether it may be shown in the page (images and plain text); other types are sent as
        downloads.
    size : int
        Bytes.
    """

    name: str
    content_type: str
    inline: bool
    size: int


def confined_name(name: str) -> str:
    """A run file's name, normalised; refuses anything that could point outside the run."""
    given = name.replace("\\", "/")
    clean = posixpath.normpath(given)
    if (
        not given
        or given.startswith("/")
        or clean in ("", ".")
        or ".." in clean.split("/")
        or ".." in given.split("/")
        or "\x00" in given
    ):
        raise ValidationError(
            f"The artifact path {name!r} is not a path inside the run.",
            hint="Use a name from the run's artifact list, such as 'outputs/model.pkl'.",
            path=name,
        )
    return clean


class RunService:
    """Read and manage runs of one workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self._ws = workspace

    @property
    def _store(self) -> Any:
        return self._ws._store

    # ---- experiments -----------------------------------------------------------------------
    def experiments(self) -> list[dict[str, Any]]:
        """Every experiment with its run count, active runs and latest run time, sorted by name."""
        return [
            {
                "name": e["name"],
                "createdAt": e["created_at"],
                "archived": e["archived"],
                "runCount": e["run_count"],
                "activeRuns": e["active_runs"],
                "lastRunAt": e["last_run_at"],
            }
            for e in self._store.studio.experiment_summaries()
        ]

    def delete_experiment(self, name: str) -> list[str]:
        """Delete an experiment, its runs and their files for good (no run may be active)."""
        active = self._store.tracking.search_runs(RunsFilter(experiment_names=(name,)))
        busy = [r.run_id for r in active if not r.is_terminal]
        if busy:
            raise ConflictError(
                f"Experiment {name!r} has {len(busy)} run(s) still going.",
                hint="Cancel them first, or wait until they finish.",
                name=name,
            )
        deleted = self._store.studio.delete_experiment(name)
        self._remove_files(deleted)
        return deleted

    # ---- runs ------------------------------------------------------------------------------
    def search(self, query: RunQuery) -> dict[str, Any]:
        """One page of runs with their latest metrics, and how many runs match in all."""
        total, ids = self._store.studio.query_run_ids(
            query.filters,
            metrics=query.metrics,
            params=query.params,
            order=query.order,
            limit=query.limit,
            offset=query.offset,
        )
        records = {r.run_id: r for r in self._store.tracking._load_runs(select_ids=ids)}
        latest = self._store.tracking.latest_metrics(ids) if ids else {}
        children = self._store.studio.child_counts(ids) if ids else {}
        return {
            "total": total,
            "offset": query.offset,
            "limit": query.limit,
            "runs": [
                run_summary(records[i], latest.get(i, {}), children.get(i, 0))
                for i in ids
                if i in records
            ],
        }

    def get(self, run_id: str) -> Run:
        """The SDK :class:`Run` of ``run_id``.

        Raises
        ------
        RunNotFoundError
            If there is no such run.
        """
        return Run.get(self._ws, run_id)

    def details(self, run_id: str) -> dict[str, Any]:
        """Summary, params, details (as ``Run.get_details``), metric keys, and files."""
        record = self._store.tracking.get_run(run_id)
        latest = self._store.tracking.latest_metrics([run_id])[run_id]
        children = self._store.studio.child_counts([run_id])
        run = Run.get(self._ws, run_id)
        details = run.get_details()
        summary = run_summary(record, latest, children.get(run_id, 0))
        summary["details"] = json_safe(details)
        summary["error"] = json_safe(record.error)
        summary["properties"] = dict(record.properties)
        summary["metricKeys"] = [
            {"key": k, "kind": m.kind, "count": m.count, "latest": json_safe(m.value)}
            for k, m in sorted(latest.items())
        ]
        return summary

    def metrics(self, run_id: str) -> dict[str, Any]:
        """Every metric as ``Run.get_metrics`` gives it (lists, tables, scalars)."""
        return json_safe(Run.get(self._ws, run_id).get_metrics())

    def series(
        self,
        run_id: str,
        key: str,
        *,
        step_min: int | None = None,
        step_max: int | None = None,
        max_points: int = DEFAULT_MAX_POINTS,
    ) -> Series:
        """One metric's numeric series, downsampled to at most ``max_points`` points.

        Parameters
        ----------
        run_id : str
        key : str
            The metric's name.
        step_min, step_max : int, optional
            Keep only points whose step lies in this range (inclusive).
        max_points : int
            2 to 100,000; longer series keep each bucket's lowest and highest point.

        Returns
        -------
        Series

        Raises
        ------
        ValidationError
            If ``max_points`` is out of range.
        RunNotFoundError
            If there is no such run.
        """
        if not 2 <= max_points <= 100_000:
            raise ValidationError(f"max_points must be between 2 and 100000, not {max_points}.")
        steps, values, _ = self._store.studio.metric_series(
            run_id, key, step_min=step_min, step_max=step_max
        )
        return downsample(key, steps, values, max_points)

    def children(self, run_id: str) -> list[dict[str, Any]]:
        """The direct child runs of ``run_id``, newest first, with their latest metrics.

        Raises
        ------
        RunNotFoundError
            If there is no such run.
        """
        self._store.tracking.get_run(run_id)  # 404 for an unknown parent
        records = self._store.tracking.search_runs(RunsFilter(parent_run_id=run_id))
        ids = [r.run_id for r in records]
        latest = self._store.tracking.latest_metrics(ids) if ids else {}
        counts = self._store.studio.child_counts(ids) if ids else {}
        return [run_summary(r, latest.get(r.run_id, {}), counts.get(r.run_id, 0)) for r in records]

    def delete(self, run_id: str) -> list[str]:
        """Delete a finished run, its descendants and their files for good."""
        record = self._store.tracking.get_run(run_id)
        if not record.is_terminal:
            raise ConflictError(
                f"Run {run_id} is {record.status}: only finished runs can be deleted.",
                hint="Cancel it first.",
                run_id=run_id,
            )
        deleted = self._store.studio.delete_runs([run_id])
        self._remove_files(deleted)
        return deleted

    def _remove_files(self, run_ids: list[str]) -> None:
        artifacts = self._ws._artifacts
        for run_id in run_ids:
            folder = artifacts.full_path(run_prefix(run_id))
            if artifacts.fs.exists(folder):
                artifacts.fs.rm(folder, recursive=True)

    # ---- logs ------------------------------------------------------------------------------
    def log_files(self, run_id: str) -> list[str]:
        """The run's log files (under ``logs/`` or ``azureml-logs/``), sorted.

        Raises
        ------
        RunNotFoundError
            If there is no such run.
        """
        self._store.tracking.get_run(run_id)
        return sorted(
            n for n in self._files(run_id).names() if n.startswith(("logs/", "azureml-logs/"))
        )

    def read_log(
        self,
        run_id: str,
        name: str = LOG_NAME,
        *,
        offset: int | None = None,
        tail: int = DEFAULT_LOG_TAIL,
    ) -> LogChunk:
        """Text of a log from byte ``offset`` (or its last ``tail`` bytes, from a line start)."""
        self._store.tracking.get_run(run_id)
        name = confined_name(name)
        files = self._files(run_id)
        try:
            size = files.size(name)
        except ArtifactNotFoundError:
            return LogChunk(name, "", 0, 0, 0)  # not written yet: the run has not started
        if offset is None:
            # Begin at a whole line: read one byte before the tail to see where lines start.
            start = max(0, size - tail)
            before = max(0, start - 1)
            data = files.read_bytes(name, before, size) if size > before else b""
            if start > 0:
                cut = data.find(b"\n") + 1
                data, start = (data[cut:], before + cut) if cut else (b"", size)
        else:
            start = min(max(0, offset), size)
            data = files.read_bytes(name, start, size) if size > start else b""
        # Send whole lines only: a partial last line comes with the next read.
        end = data.rfind(b"\n") + 1
        data = data[:end]
        return LogChunk(name, data.decode("utf-8", errors="replace"), start, start + end, size)

    # ---- artifacts -------------------------------------------------------------------------
    def artifacts(self, run_id: str) -> list[dict[str, Any]]:
        """Every file of the run, sorted, with its content type and whether it is shown inline.

        Raises
        ------
        RunNotFoundError
            If there is no such run.
        """
        self._store.tracking.get_run(run_id)
        files = self._files(run_id)
        out = []
        for name in sorted(files.names()):
            kind = _content_type(name)
            out.append({"name": name, "contentType": kind, "inline": kind in _INLINE_TYPES})
        return out

    def artifact(self, run_id: str, name: str) -> Artifact:
        """What to send for a run file (after checking the path stays inside the run)."""
        self._store.tracking.get_run(run_id)
        name = confined_name(name)
        artifacts = self._ws._artifacts
        full = artifacts.full_path(posixpath.join(run_prefix(run_id), name))
        if not artifacts.fs.isfile(full):
            raise ArtifactNotFoundError(
                f"Run {run_id} has no file {name!r}.",
                hint="The run's artifact list names its files.",
                run_id=run_id,
                path=name,
            )
        size = int(artifacts.fs.size(full))
        kind = _content_type(name)
        return Artifact(name, kind, kind in _INLINE_TYPES, size)

    def read_artifact(self, run_id: str, name: str, start: int, end: int) -> bytes:
        """Bytes ``[start, end)`` of a run file (the name is checked to stay inside the run).

        Raises
        ------
        ValidationError
            If ``name`` could point outside the run.
        ArtifactNotFoundError
            If the run has no such file.
        """
        return self._files(run_id).read_bytes(confined_name(name), start, end)

    def _files(self, run_id: str) -> RunFiles:
        return RunFiles(self._ws._artifacts, run_id)


def _content_type(name: str) -> str:
    if name.lower().endswith(_TEXT_SUFFIXES):
        return "text/plain"
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
