"""``/workspace``: the workspace in the server's folder, or how to create one."""

from __future__ import annotations

from tornado.web import authenticated

from jupyter_mlstudio.errors import WorkspaceNotFoundError
from jupyter_mlstudio.server.handlers.base import StudioHandler
from jupyter_mlstudio.studio.service import no_workspace_help


class WorkspaceHandler(StudioHandler):
    """``/workspace``: the workspace in the server's folder; create one (``POST``)."""

    @authenticated
    async def get(self) -> None:
        """``GET /workspace``: ``{loaded: true, name, path, metadataUrl, artifactRoot, details}``
        (passwords in URLs hidden), or, with no workspace, 200 with ``{loaded: false, root,
        message, hint, snippet}`` saying how to create one."""
        try:
            info = await self.studio_call(lambda s: s.info())
        except WorkspaceNotFoundError:
            info = no_workspace_help(self.context.root)
        self.send(info)

    @authenticated
    async def post(self) -> None:
        """Create a workspace in the server's folder: ``{"name": "..."}``.

        201 with the workspace as ``GET`` answers it (an existing workspace is kept and
        answered); 400 for a bad name.
        """
        name = str(self.json_body().get("name") or "")
        studio = await self.call(self.context.create, name)
        self.send(await self.call(studio.info), status=201)


class ComputeHandler(StudioHandler):
    """``/compute``: the workspace's compute targets."""

    @authenticated
    async def get(self) -> None:
        """``GET /compute``: ``{"compute": [...]}``, each target serialized; 404 if there is no
        workspace."""
        self.send({"compute": await self.studio_call(lambda s: s.assets.compute())})


class EnvironmentsHandler(StudioHandler):
    """``/environments``: the registered environments."""

    @authenticated
    async def get(self) -> None:
        """``GET /environments``: ``{"environments": [{name, version, createdAt, definition}]}``;
        404 if there is no workspace."""
        self.send({"environments": await self.studio_call(lambda s: s.assets.environments())})


class EndpointsHandler(StudioHandler):
    """``/endpoints``: the deployed endpoints (web services)."""

    @authenticated
    async def get(self) -> None:
        """``GET /endpoints``: ``{"endpoints": [...]}``, each web service serialized; 404 if
        there is no workspace."""
        self.send({"endpoints": await self.studio_call(lambda s: s.endpoints.list())})


class EndpointHandler(StudioHandler):
    """``/endpoints/{name}``: one endpoint."""

    @authenticated
    async def get(self, name: str) -> None:
        """``GET /endpoints/{name}``: the endpoint (its state refreshed first) with
        ``deployments``, ``traffic`` and ``port``; 404 for an unknown endpoint."""
        self.send(await self.studio_call(lambda s: s.endpoints.get(name)))


class EndpointLogsHandler(StudioHandler):
    """``/endpoints/{name}/logs``: the end of an endpoint's log."""

    @authenticated
    async def get(self, name: str) -> None:
        """``GET /endpoints/{name}/logs?lines=`` (1 to 100000, default 500): ``{name, text}``;
        400 for bad ``lines``, 404 for an unknown endpoint."""
        lines = self.int_arg("lines", 500, lo=1, hi=100_000) or 500
        self.send(await self.studio_call(lambda s: s.endpoints.logs(name, lines)))


class EndpointKeysHandler(StudioHandler):
    """``/endpoints/{name}/keys``: an endpoint's keys."""

    @authenticated
    async def get(self, name: str) -> None:
        """``GET /endpoints/{name}/keys``: ``{authEnabled, primaryKey, secondaryKey}`` (keys
        null without key auth); 404 for an unknown endpoint."""
        self.send(await self.studio_call(lambda s: s.endpoints.keys(name)))


class EndpointTestHandler(StudioHandler):
    """``/endpoints/{name}/test``: send a test request to an endpoint (``POST``)."""

    @authenticated
    async def post(self, name: str) -> None:
        """Send the request body (JSON) to the endpoint; answers ``{ok, answer | message}``."""
        body = self.request.body.decode("utf-8", errors="replace")
        self.send(await self.studio_call(lambda s: s.endpoints.test(name, body)))
