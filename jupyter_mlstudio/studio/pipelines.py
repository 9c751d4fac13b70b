"""Published pipelines, pipeline endpoints and schedules for the studio and its REST API.

Submitting over REST takes the body Azure ML's published-pipeline REST endpoint takes
(``ExperimentName``, ``ParameterAssignments``, ``PipelineVersion``), so scripts written for it
keep working against the Jupyter server's route (with Jupyter's token instead of an AAD one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.pipeline.core.published import PipelineEndpoint, PublishedPipeline
from jupyter_mlstudio.pipeline.core.schedule import Schedule
from jupyter_mlstudio.studio.serialize import json_safe

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace

__all__ = ["PipelineService", "parse_submission"]


def parse_submission(body: Mapping[str, Any]) -> tuple[str, dict[str, Any], str | None]:
    """``(experiment name, parameters, pipeline version)`` from a submission body."""
    experiment = body.get("ExperimentName", body.get("experimentName"))
    if not isinstance(experiment, str) or not experiment.strip():
        raise ValidationError(
            "The body names no experiment to run the pipeline in.",
            hint='Send {"ExperimentName": "my-experiment", "ParameterAssignments": {...}}.',
        )
    params = body.get("ParameterAssignments", body.get("parameterAssignments")) or {}
    if not isinstance(params, dict):
        raise ValidationError(
            "ParameterAssignments must be an object of parameter names to values.",
            hint='For example {"ParameterAssignments": {"alpha": 0.5}}.',
        )
    version = body.get("PipelineVersion", body.get("pipelineVersion"))
    return experiment.strip(), params, None if version is None else str(version)


def _published(p: PublishedPipeline) -> dict[str, Any]:
    steps = p.graph.get("steps", [])
    return {
        "id": p.id,
        "name": p.name,
        "version": p.version,
        "description": p.description,
        "status": p.status,
        "endpoint": p.endpoint,
        "steps": [{"name": s.get("name"), "kind": s.get("kind")} for s in steps],
        "parameters": p.graph.get("parameters", {}),
    }


def _schedule(s: Schedule) -> dict[str, Any]:
    record = s._record
    return {
        "id": s.id,
        "name": s.name,
        "status": s.status,
        "pipelineId": record.pipeline_id,
        "experimentName": record.experiment_name,
        "recurrence": record.recurrence,
        "nextRunTime": s.next_run_time,
        "lastRunId": record.last_run_id,
        "missedFirings": len(record.missed),
    }


class PipelineService:
    """Published pipelines, pipeline endpoints and schedules of one workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self._ws = workspace

    def published(self, active_only: bool = False) -> list[dict[str, Any]]:
        """Published pipelines, newest first, with their steps and parameters."""
        return [json_safe(_published(p)) for p in PublishedPipeline.list(self._ws, active_only)]

    def get_published(self, pipeline_id: str) -> dict[str, Any]:
        """One published pipeline with its steps and parameters.

        Raises
        ------
        PipelineNotFoundError
            If there is no published pipeline with that id.
        """
        return json_safe(_published(PublishedPipeline.get(self._ws, pipeline_id)))

    def submit_published(self, pipeline_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Submit a published pipeline with an Azure ML style body; returns the new run's id.

        Parameters
        ----------
        pipeline_id : str
        body : Mapping
            ``ExperimentName`` and optional ``ParameterAssignments`` (see :func:`parse_submission`).

        Returns
        -------
        dict
            ``Id`` (Azure ML's key) and ``runId``, both the pipeline run's id, and
            ``experimentName``.

        Raises
        ------
        ValidationError
            If the body is malformed or the pipeline is disabled.
        PipelineNotFoundError
            If there is no published pipeline with that id.
        """
        experiment, params, _ = parse_submission(body)
        run = PublishedPipeline.get(self._ws, pipeline_id).submit(self._ws, experiment, params)
        return {"Id": run.id, "runId": run.id, "experimentName": experiment}

    def endpoints(self) -> list[dict[str, Any]]:
        """Every pipeline endpoint with its default version and that version's pipeline id."""
        return [
            {
                "id": e.id,
                "name": e.name,
                "defaultVersion": e.default_version,
                "endpoint": e.endpoint,
                "pipelineId": e.get_pipeline().id,
            }
            for e in PipelineEndpoint.list(self._ws)
        ]

    def submit_endpoint(self, name: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Submit a pipeline endpoint's version (``PipelineVersion`` in the body, else the default).

        Returns
        -------
        dict
            ``Id`` and ``runId`` (the pipeline run's id) and ``experimentName``.

        Raises
        ------
        ValidationError
            If the body is malformed, the version does not exist or its pipeline is disabled.
        PipelineNotFoundError
            If there is no pipeline endpoint ``name``.
        """
        experiment, params, version = parse_submission(body)
        endpoint = PipelineEndpoint.get(self._ws, name=name)
        run = endpoint.submit(experiment, params, pipeline_version=version)
        return {"Id": run.id, "runId": run.id, "experimentName": experiment}

    def schedules(self) -> list[dict[str, Any]]:
        """Every schedule, active or not, oldest first, with its next run time and missed count."""
        return [json_safe(_schedule(s)) for s in Schedule.list(self._ws, active_only=False)]
