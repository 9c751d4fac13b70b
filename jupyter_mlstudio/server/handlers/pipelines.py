"""``/published-pipelines``, ``/pipeline-endpoints`` and ``/schedules``: list them, and run a
published pipeline or a pipeline endpoint over REST (Azure ML's request body)."""

from __future__ import annotations

from tornado.web import authenticated

from jupyter_mlstudio.server.handlers.base import StudioHandler


class PublishedPipelinesHandler(StudioHandler):
    @authenticated
    async def get(self) -> None:
        active = self.get_query_argument("active", "") in ("1", "true")
        self.send({"pipelines": await self.studio_call(lambda s: s.pipelines.published(active))})


class PublishedPipelineHandler(StudioHandler):
    @authenticated
    async def get(self, pipeline_id: str) -> None:
        self.send(await self.studio_call(lambda s: s.pipelines.get_published(pipeline_id)))


class PublishedPipelineRunsHandler(StudioHandler):
    @authenticated
    async def post(self, pipeline_id: str) -> None:
        """Run it: ``{"ExperimentName": ..., "ParameterAssignments": {...}}``."""
        body = self.json_body()
        answer = await self.studio_call(lambda s: s.pipelines.submit_published(pipeline_id, body))
        self.send(answer, status=201)


class PipelineEndpointsHandler(StudioHandler):
    @authenticated
    async def get(self) -> None:
        self.send({"endpoints": await self.studio_call(lambda s: s.pipelines.endpoints())})


class PipelineEndpointRunsHandler(StudioHandler):
    @authenticated
    async def post(self, name: str) -> None:
        """Run its default version, or ``PipelineVersion``, with the body's parameters."""
        body = self.json_body()
        answer = await self.studio_call(lambda s: s.pipelines.submit_endpoint(name, body))
        self.send(answer, status=201)


class SchedulesHandler(StudioHandler):
    @authenticated
    async def get(self) -> None:
        self.send({"schedules": await self.studio_call(lambda s: s.pipelines.schedules())})
