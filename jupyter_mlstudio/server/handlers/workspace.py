"""``/workspace``: the workspace in the server's folder, or how to create one."""

from __future__ import annotations

from tornado.web import authenticated

from jupyter_mlstudio.errors import WorkspaceNotFoundError
from jupyter_mlstudio.server.handlers.base import StudioHandler
from jupyter_mlstudio.studio.service import no_workspace_help


class WorkspaceHandler(StudioHandler):
    @authenticated
    async def get(self) -> None:
        try:
            info = await self.studio_call(lambda s: s.info())
        except WorkspaceNotFoundError:
            info = no_workspace_help(self.context.root)
        self.send(info)

    @authenticated
    async def post(self) -> None:
        """Create a workspace in the server's folder: ``{"name": "..."}``."""
        name = str(self.json_body().get("name") or "")
        studio = await self.call(self.context.create, name)
        self.send(await self.call(studio.info), status=201)


class ComputeHandler(StudioHandler):
    @authenticated
    async def get(self) -> None:
        self.send({"compute": await self.studio_call(lambda s: s.assets.compute())})


class EnvironmentsHandler(StudioHandler):
    @authenticated
    async def get(self) -> None:
        self.send({"environments": await self.studio_call(lambda s: s.assets.environments())})


class EndpointsHandler(StudioHandler):
    @authenticated
    async def get(self) -> None:
        self.send({"endpoints": await self.studio_call(lambda s: s.endpoints.list())})


class EndpointHandler(StudioHandler):
    @authenticated
    async def get(self, name: str) -> None:
        self.send(await self.studio_call(lambda s: s.endpoints.get(name)))


class EndpointLogsHandler(StudioHandler):
    @authenticated
    async def get(self, name: str) -> None:
        lines = self.int_arg("lines", 500, lo=1, hi=100_000) or 500
        self.send(await self.studio_call(lambda s: s.endpoints.logs(name, lines)))


class EndpointKeysHandler(StudioHandler):
    @authenticated
    async def get(self, name: str) -> None:
        self.send(await self.studio_call(lambda s: s.endpoints.keys(name)))


class EndpointTestHandler(StudioHandler):
    @authenticated
    async def post(self, name: str) -> None:
        """Send the request body (JSON) to the endpoint; answers ``{ok, answer | message}``."""
        body = self.request.body.decode("utf-8", errors="replace")
        self.send(await self.studio_call(lambda s: s.endpoints.test(name, body)))
