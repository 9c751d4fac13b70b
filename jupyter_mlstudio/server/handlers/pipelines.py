"""``/published-pipelines``, ``/pipeline-endpoints`` and ``/schedules``: list them, and run a
published pipeline or a pipeline endpoint over REST (Azure ML's request body)."""

from __future__ import annotations

from tornado.web import authenticated

from jupyter_mlstudio.server.handlers.base import StudioHandler


class PublishedPipelinesHandler(StudioHandler):
    """``/published-pipelines``: the workspace's published pipelines."""

    @authenticated
    async def get(self) -> None:
        """``GET /published-pipelines?active=1``: ``{"pipelines": [{id, name, version,
        description, status, endpoint, steps, parameters}]}``, only active ones with
        ``active=1`` or ``true``; 404 if there is no workspace."""
        active = self.get_query_argument("active", "") in ("1", "true")
        self.send({"pipelines": await self.studio_call(lambda s: s.pipelines.published(active))})


class PublishedPipelineHandler(StudioHandler):
    """``/published-pipelines/{pipeline_id}``: one published pipeline."""

    @authenticated
    async def get(self, pipeline_id: str) -> None:
        """``GET /published-pipelines/{pipeline_id}``: the pipeline as in the list (its steps
        and parameters); 404 for an unknown id."""
        self.send(await self.studio_call(lambda s: s.pipelines.get_published(pipeline_id)))


class PublishedPipelineRunsHandler(StudioHandler):
    """``/published-pipelines/{pipeline_id}/runs``: run a published pipeline (``POST``)."""

    @authenticated
    async def post(self, pipeline_id: str) -> None:
        """Run it: ``{"ExperimentName": ..., "ParameterAssignments": {...}}``.

        201 with ``{Id, runId, experimentName}``; 400 without an experiment name, with
        parameters that are not an object or for a disabled pipeline, 404 for an unknown one.
        """
        body = self.json_body()
        answer = await self.studio_call(lambda s: s.pipelines.submit_published(pipeline_id, body))
        self.send(answer, status=201)


class PipelineEndpointsHandler(StudioHandler):
    """``/pipeline-endpoints``: the workspace's pipeline endpoints."""

    @authenticated
    async def get(self) -> None:
        """``GET /pipeline-endpoints``: ``{"endpoints": [{id, name, defaultVersion, endpoint,
        pipelineId}]}``; 404 if there is no workspace."""
        self.send({"endpoints": await self.studio_call(lambda s: s.pipelines.endpoints())})


class PipelineEndpointRunsHandler(StudioHandler):
    """``/pipeline-endpoints/{name}/runs``: run a pipeline endpoint (``POST``)."""

    @authenticated
    async def post(self, name: str) -> None:
        """Run its default version, or ``PipelineVersion``, with the body's parameters.

        The body is as for a published pipeline; 201 with ``{Id, runId, experimentName}``;
        400 for a bad body, 404 for an unknown endpoint.
        """
        body = self.json_body()
        answer = await self.studio_call(lambda s: s.pipelines.submit_endpoint(name, body))
        self.send(answer, status=201)


class SchedulesHandler(StudioHandler):
    """``/schedules``: the workspace's pipeline schedules."""

    @authenticated
    async def get(self) -> None:
        """``GET /schedules``: ``{"schedules": [{id, name, status, pipelineId, experimentName,
        recurrence, nextRunTime, lastRunId, missedFirings}]}``, disabled ones included; 404
        if there is no workspace."""
        self.send({"schedules": await self.studio_call(lambda s: s.pipelines.schedules())})
