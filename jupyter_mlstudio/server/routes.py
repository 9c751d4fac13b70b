"""The studio's routes, relative to ``<base_url>/mlstudio/api/v1``. The OpenAPI description in
``openapi.yaml`` lists the same paths (a test checks they agree)."""

from __future__ import annotations

from typing import Any

from jupyter_mlstudio.server.handlers import (
    assets,
    designer,
    events,
    pipelines,
    runs,
    workspace,
)

__all__ = ["API_PREFIX", "ROUTES"]

API_PREFIX = "mlstudio/api/v1"
_ID = r"(?P<run_id>[^/]+)"
_NAME = r"(?P<name>[^/]+)"
_PID = r"(?P<pipeline_id>[^/]+)"
_NODE = r"(?P<node_id>[^/]+)"

ROUTES: list[tuple[str, Any]] = [
    ("workspace", workspace.WorkspaceHandler),
    ("experiments", runs.ExperimentsHandler),
    (f"experiments/{_NAME}", runs.ExperimentHandler),
    ("runs", runs.RunsHandler),
    (f"runs/{_ID}", runs.RunHandler),
    (f"runs/{_ID}/children", runs.RunChildrenHandler),
    (f"runs/{_ID}/metrics", runs.RunMetricsHandler),
    (f"runs/{_ID}/series", runs.RunSeriesHandler),
    (f"runs/{_ID}/logs", runs.RunLogsHandler),
    (f"runs/{_ID}/artifacts", runs.RunArtifactsHandler),
    (f"runs/{_ID}/artifacts/content", runs.RunArtifactContentHandler),
    ("datasets", assets.DatasetsHandler),
    (f"datasets/{_NAME}", assets.DatasetHandler),
    (f"datasets/{_NAME}/versions", assets.DatasetVersionsHandler),
    (f"datasets/{_NAME}/preview", assets.DatasetPreviewHandler),
    ("models", assets.ModelsHandler),
    (f"models/{_NAME}", assets.ModelHandler),
    (f"models/{_NAME}/versions", assets.ModelVersionsHandler),
    (f"models/{_NAME}/deploy", assets.ModelDeployHandler),
    ("compute", workspace.ComputeHandler),
    ("environments", workspace.EnvironmentsHandler),
    ("endpoints", workspace.EndpointsHandler),
    (f"endpoints/{_NAME}", workspace.EndpointHandler),
    (f"endpoints/{_NAME}/logs", workspace.EndpointLogsHandler),
    (f"endpoints/{_NAME}/keys", workspace.EndpointKeysHandler),
    (f"endpoints/{_NAME}/test", workspace.EndpointTestHandler),
    ("published-pipelines", pipelines.PublishedPipelinesHandler),
    (f"published-pipelines/{_PID}", pipelines.PublishedPipelineHandler),
    (f"published-pipelines/{_PID}/runs", pipelines.PublishedPipelineRunsHandler),
    ("pipeline-endpoints", pipelines.PipelineEndpointsHandler),
    (f"pipeline-endpoints/{_NAME}/runs", pipelines.PipelineEndpointRunsHandler),
    ("schedules", pipelines.SchedulesHandler),
    ("designer/components", designer.DesignerComponentsHandler),
    ("designer/components/resolve", designer.DesignerResolveHandler),
    ("designer/validate", designer.DesignerValidateHandler),
    ("designer/runs", designer.DesignerRunsHandler),
    (f"designer/runs/{_ID}/nodes", designer.DesignerRunNodesHandler),
    (f"designer/runs/{_ID}/nodes/{_NODE}/outputs", designer.DesignerNodeOutputsHandler),
    (f"designer/runs/{_ID}/clone", designer.DesignerCloneHandler),
    (f"designer/runs/{_ID}/inference", designer.DesignerInferenceHandler),
    ("designer/deploy", designer.DesignerDeployHandler),
    ("designer/publish", designer.DesignerPublishHandler),
    ("events", events.EventsHandler),
]
