"""``/designer/...``: the canvas' palette, validation, submission and live node statuses."""

from __future__ import annotations

from typing import Any

from tornado.web import authenticated

from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.server.handlers.base import StudioHandler
from jupyter_mlstudio.studio.designer import DesignerService


def _path(body: dict[str, Any]) -> str | None:
    path = body.get("path")
    if path is not None and not isinstance(path, str):
        raise ValidationError("path must be the document's path (a string) or left out.")
    return path or None


class _DesignerHandler(StudioHandler):
    async def designer_call(self, fn: Any) -> Any:
        root = self.context.root
        return await self.studio_call(lambda s: fn(DesignerService(s.workspace, root)))


class DesignerComponentsHandler(_DesignerHandler):
    """``/designer/components``: the designer's palette (``GET``)."""

    @authenticated
    async def get(self) -> None:
        """The palette: built-in components and registered datasets as Import Data presets."""
        self.send(await self.designer_call(lambda d: d.components()))


class DesignerValidateHandler(_DesignerHandler):
    """``/designer/validate``: check a designer document without running it (``POST``)."""

    @authenticated
    async def post(self) -> None:
        """``{document, path}`` -> ``{problems, errors}``."""
        body = self.json_body()
        path = _path(body)
        self.send(await self.designer_call(lambda d: d.validate(body.get("document"), path)))


class DesignerRunsHandler(_DesignerHandler):
    """``/designer/runs``: submit a designer document as a pipeline run (``POST``); the
    latest run of a document (``GET ?path=``)."""

    @authenticated
    async def get(self) -> None:
        """``?path=x.mlpipeline`` -> ``{run}``: the newest run submitted from that document,
        as ``/designer/runs/{run_id}/nodes`` answers it, or ``null`` when it has none."""
        path = self.get_query_argument("path", "")
        if not path:
            raise ValidationError(
                "Say which document: ?path=<the .mlpipeline's path in the server folder>."
            )
        self.send(await self.designer_call(lambda d: d.latest_run(path)))

    @authenticated
    async def post(self) -> None:
        """``{document, path, experiment, parameters}`` -> ``{runId, experimentName, nodes}``."""
        body = self.json_body()
        path = _path(body)
        answer = await self.designer_call(
            lambda d: d.submit(
                body.get("document"), body.get("experiment"), body.get("parameters"), path
            )
        )
        self.send(answer, status=201)


class DesignerRunNodesHandler(_DesignerHandler):
    """``/designer/runs/{run_id}/nodes``: the live status of each node of a designer run."""

    @authenticated
    async def get(self, run_id: str) -> None:
        """Node id -> ``{status, stepRunId, stepName, reusedRunId}`` of a designer run."""
        self.send(await self.designer_call(lambda d: d.nodes(run_id)))


class DesignerResolveHandler(_DesignerHandler):
    """``/designer/components/resolve``: components from user notebooks and scripts."""

    @authenticated
    async def post(self) -> None:
        """``{refs, path}`` -> ``{components, problems}``: interfaces of user notebooks and
        scripts (``file:`` relative to the document, ``root:`` relative to the server)."""
        body = self.json_body()
        path = _path(body)
        self.send(await self.designer_call(lambda d: d.resolve_components(body.get("refs"), path)))


class DesignerNodeOutputsHandler(_DesignerHandler):
    """``/designer/runs/{run_id}/nodes/{node_id}/outputs``: what one node produced."""

    @authenticated
    async def get(self, run_id: str, node_id: str) -> None:
        """What a node of a designer run produced: each output port (a DataFrame's first
        rows and profile, a Metrics port's values), the step's metrics and images."""
        rows = self.int_arg("rows", 100, lo=0, hi=10_000)
        assert rows is not None
        self.send(await self.designer_call(lambda d: d.node_outputs(run_id, node_id, rows)))


class DesignerCloneHandler(_DesignerHandler):
    """``/designer/runs/{run_id}/clone``: a new draft document from a run (``POST``)."""

    @authenticated
    async def post(self, run_id: str) -> None:
        """A new draft ``.mlpipeline`` of the run's document with the run's parameter values
        as defaults -> ``{path, name, parameters}``."""
        self.send(await self.designer_call(lambda d: d.clone(run_id)), status=201)


class DesignerInferenceHandler(_DesignerHandler):
    """``/designer/runs/{run_id}/inference``: a training run's inference pipeline (``POST``)."""

    @authenticated
    async def post(self, run_id: str) -> None:
        """``{modelName?}``: the Completed training run's inference pipeline, saved as a new
        ``.mlpipeline`` beside the training document -> ``{path, name, models}``."""
        body = self.json_body()
        name = body.get("modelName")
        self.send(await self.designer_call(lambda d: d.inference(run_id, name)), status=201)


class DesignerDeployHandler(_DesignerHandler):
    """``/designer/deploy``: serve an inference document as an endpoint (``POST``)."""

    @authenticated
    async def post(self) -> None:
        """``{path, endpoint, overwrite?}``: serve an inference document as a real-time
        endpoint -> ``{name, state, scoringUri, document}`` once it has started."""
        body = self.json_body()
        answer = await self.designer_call(
            lambda d: d.deploy(body.get("path"), body.get("endpoint"), body.get("overwrite"))
        )
        self.send(answer, status=201)


class DesignerPublishHandler(_DesignerHandler):
    """``/designer/publish``: publish a document as a pipeline to run later (``POST``)."""

    @authenticated
    async def post(self) -> None:
        """``{path, name, description?}`` -> ``{id, name, version, endpoint, document}``; the
        published pipeline is listed and run like any other (``published-pipelines``)."""
        body = self.json_body()
        answer = await self.designer_call(
            lambda d: d.publish(body.get("path"), body.get("name"), body.get("description"))
        )
        self.send(answer, status=201)
