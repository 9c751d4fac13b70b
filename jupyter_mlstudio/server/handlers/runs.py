"""Experiments and runs: search, details, metric series, logs, artifacts, deletion."""

from __future__ import annotations

from dataclasses import asdict

from tornado.web import authenticated

from jupyter_mlstudio.server.handlers.base import StudioHandler
from jupyter_mlstudio.studio import parse_run_query
from jupyter_mlstudio.studio.runs import DEFAULT_LOG_TAIL
from jupyter_mlstudio.studio.series import DEFAULT_MAX_POINTS
from jupyter_mlstudio.studio.uploads import submit_file

_CHUNK = 1 << 20  # artifact downloads are streamed a megabyte at a time


class ExperimentsHandler(StudioHandler):
    """``/experiments``: the workspace's experiments."""

    @authenticated
    async def get(self) -> None:
        """``GET /experiments``: ``{"experiments": [{name, createdAt, archived, runCount,
        activeRuns, lastRunAt}]}``; 404 if there is no workspace."""
        self.send({"experiments": await self.studio_call(lambda s: s.runs.experiments())})


class ExperimentHandler(StudioHandler):
    """``/experiments/{name}``: delete an experiment (``DELETE``)."""

    @authenticated
    async def delete(self, name: str) -> None:
        """Delete the experiment, its runs and their files for good."""
        deleted = await self.studio_call(lambda s: s.runs.delete_experiment(name))
        self.send({"deleted": deleted})


class RunsHandler(StudioHandler):
    """``/runs``: search runs; submit a file of the server's folder as a job."""

    @authenticated
    async def get(self) -> None:
        """``GET /runs`` (filters: experiment, status, tag, metric, param, parent, top_level;
        sort, limit, offset): ``{total, offset, limit, runs: [...]}``, one page of run
        summaries with their latest metrics; 400 for a bad filter."""
        query = parse_run_query(self.query_args())
        self.send(await self.studio_call(lambda s: s.runs.search(query)))

    @authenticated
    async def post(self) -> None:
        """Submit a .py or .ipynb file of the server's folder as a job: ``{path, experiment?}``;
        answers at once with the run id (the job runs in its own process)."""
        body = self.json_body()
        path, experiment = str(body.get("path") or ""), body.get("experiment")
        root = self.context.root
        submitted = await self.studio_call(
            lambda s: submit_file(s.workspace, root, path, str(experiment) if experiment else None)
        )
        self.send(submitted, status=201)


class RunHandler(StudioHandler):
    """``/runs/{run_id}``: one run's details; delete it (``DELETE``)."""

    @authenticated
    async def get(self, run_id: str) -> None:
        """``GET /runs/{run_id}``: the run's summary with ``details`` (as ``Run.get_details``),
        ``error``, ``properties`` and ``metricKeys``; 404 for an unknown run."""
        self.send(await self.studio_call(lambda s: s.runs.details(run_id)))

    @authenticated
    async def delete(self, run_id: str) -> None:
        """Delete a finished run, its descendants and their files for good."""
        self.send({"deleted": await self.studio_call(lambda s: s.runs.delete(run_id))})


class RunChildrenHandler(StudioHandler):
    """``/runs/{run_id}/children``: a run's child runs."""

    @authenticated
    async def get(self, run_id: str) -> None:
        """``GET /runs/{run_id}/children``: ``{"runs": [...]}`` (run summaries); 404 for an
        unknown run."""
        self.send({"runs": await self.studio_call(lambda s: s.runs.children(run_id))})


class RunMetricsHandler(StudioHandler):
    """``/runs/{run_id}/metrics``: every metric of a run."""

    @authenticated
    async def get(self, run_id: str) -> None:
        """``GET /runs/{run_id}/metrics``: ``{"metrics": {...}}`` as ``Run.get_metrics`` gives
        them (scalars, lists, tables); 404 for an unknown run."""
        self.send({"metrics": await self.studio_call(lambda s: s.runs.metrics(run_id))})


class RunSeriesHandler(StudioHandler):
    """``/runs/{run_id}/series``: one metric's points, for charts."""

    @authenticated
    async def get(self, run_id: str) -> None:
        """One metric's points, downsampled (min/max per bucket) past ``max_points``.

        ``GET /runs/{run_id}/series?key=&step_min=&step_max=&max_points=``:
        ``{key, steps, values, total, downsampled}``; 400 for a missing key or bad bounds,
        404 for an unknown run.
        """
        key = self.get_query_argument("key")
        step_min = self.int_arg("step_min", None, lo=-(10**12))
        step_max = self.int_arg("step_max", None, lo=-(10**12))
        max_points = self.int_arg("max_points", DEFAULT_MAX_POINTS, lo=2, hi=100_000)
        series = await self.studio_call(
            lambda s: s.runs.series(
                run_id, key, step_min=step_min, step_max=step_max, max_points=max_points or 2
            )
        )
        self.send(asdict(series))


class RunLogsHandler(StudioHandler):
    """``/runs/{run_id}/logs``: a run's log files and their text."""

    @authenticated
    async def get(self, run_id: str) -> None:
        """The run's log files, and a tail of one (or its text from ``offset``)."""
        name = self.get_query_argument("name", "logs/std_log.txt")
        offset = self.int_arg("offset", None)
        tail = self.int_arg("tail", DEFAULT_LOG_TAIL, hi=16 << 20) or 0

        def _read(s: object) -> dict[str, object]:
            runs = s.runs  # type: ignore[attr-defined]
            chunk = runs.read_log(run_id, name, offset=offset, tail=tail)
            return {"files": runs.log_files(run_id), **asdict(chunk)}

        self.send(await self.studio_call(_read))


class RunArtifactsHandler(StudioHandler):
    """``/runs/{run_id}/artifacts``: the list of a run's files."""

    @authenticated
    async def get(self, run_id: str) -> None:
        """``GET /runs/{run_id}/artifacts``: ``{"artifacts": [{name, contentType, inline}]}``;
        404 for an unknown run."""
        self.send({"artifacts": await self.studio_call(lambda s: s.runs.artifacts(run_id))})


class RunArtifactContentHandler(StudioHandler):
    """``/runs/{run_id}/artifacts/content``: one run file's bytes, streamed."""

    @authenticated
    async def get(self, run_id: str) -> None:
        """A run file's bytes; ``path`` must stay inside the run (else 400)."""
        path = self.get_query_argument("path")
        artifact = await self.studio_call(lambda s: s.runs.artifact(run_id, path))
        studio = self.context.studio()
        filename = artifact.name.rsplit("/", 1)[-1].replace('"', "")
        download = self.get_query_argument("download", "0") in ("1", "true")
        self.set_header("Content-Type", artifact.content_type)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", "default-src 'none'; sandbox")
        disposition = "inline" if artifact.inline and not download else "attachment"
        self.set_header("Content-Disposition", f'{disposition}; filename="{filename}"')
        self.set_header("Content-Length", str(artifact.size))
        for start in range(0, artifact.size, _CHUNK):
            end = min(start + _CHUNK, artifact.size)
            data = await self.call(studio.runs.read_artifact, run_id, artifact.name, start, end)
            self.write(data)
            await self.flush()
        self.finish()
