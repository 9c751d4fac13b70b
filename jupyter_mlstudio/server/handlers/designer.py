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
    @authenticated
    async def get(self) -> None:
        """The palette: built-in components and registered datasets as Import Data presets."""
        self.send(await self.designer_call(lambda d: d.components()))


class DesignerValidateHandler(_DesignerHandler):
    @authenticated
    async def post(self) -> None:
        """``{document, path}`` -> ``{problems, errors}``."""
        body = self.json_body()
        path = _path(body)
        self.send(await self.designer_call(lambda d: d.validate(body.get("document"), path)))


class DesignerRunsHandler(_DesignerHandler):
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
    @authenticated
    async def get(self, run_id: str) -> None:
        """Node id -> ``{status, stepRunId, stepName, reusedRunId}`` of a designer run."""
        self.send(await self.designer_call(lambda d: d.nodes(run_id)))


class DesignerResolveHandler(_DesignerHandler):
    @authenticated
    async def post(self) -> None:
        """``{refs, path}`` -> ``{components, problems}``: interfaces of user notebooks and
        scripts (``file:`` relative to the document, ``root:`` relative to the server)."""
        body = self.json_body()
        path = _path(body)
        self.send(await self.designer_call(lambda d: d.resolve_components(body.get("refs"), path)))
