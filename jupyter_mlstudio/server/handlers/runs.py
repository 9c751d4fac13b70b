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
    @authenticated
    async def get(self) -> None:
        self.send({"experiments": await self.studio_call(lambda s: s.runs.experiments())})


class ExperimentHandler(StudioHandler):
    @authenticated
    async def delete(self, name: str) -> None:
        """Delete the experiment, its runs and their files for good."""
        deleted = await self.studio_call(lambda s: s.runs.delete_experiment(name))
        self.send({"deleted": deleted})


class RunsHandler(StudioHandler):
    @authenticated
    async def get(self) -> None:
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
    @authenticated
    async def get(self, run_id: str) -> None:
        self.send(await self.studio_call(lambda s: s.runs.details(run_id)))

    @authenticated
    async def delete(self, run_id: str) -> None:
        """Delete a finished run, its descendants and their files for good."""
        self.send({"deleted": await self.studio_call(lambda s: s.runs.delete(run_id))})


class RunChildrenHandler(StudioHandler):
    @authenticated
    async def get(self, run_id: str) -> None:
        self.send({"runs": await self.studio_call(lambda s: s.runs.children(run_id))})


class RunMetricsHandler(StudioHandler):
    @authenticated
    async def get(self, run_id: str) -> None:
        self.send({"metrics": await self.studio_call(lambda s: s.runs.metrics(run_id))})


class RunSeriesHandler(StudioHandler):
    @authenticated
    async def get(self, run_id: str) -> None:
        """One metric's points, downsampled (min/max per bucket) past ``max_points``."""
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
    @authenticated
    async def get(self, run_id: str) -> None:
        self.send({"artifacts": await self.studio_call(lambda s: s.runs.artifacts(run_id))})


class RunArtifactContentHandler(StudioHandler):
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
