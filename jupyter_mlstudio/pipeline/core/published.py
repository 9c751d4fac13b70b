"""Published pipelines and pipeline endpoints: pipelines stored to be run again by id or
by name, from code or over REST."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.errors import ValidationError

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace
    from jupyter_mlstudio.pipeline.core.run import PipelineRun
    from jupyter_mlstudio.store.pipelines import PipelineEndpointRecord, PublishedPipelineRecord

__all__ = ["PipelineEndpoint", "PublishedPipeline"]

API = "/mlstudio/api/v1"


class PublishedPipeline:
    """A pipeline stored with its graph and source snapshots (azureml PublishedPipeline)."""

    def __init__(self, workspace: Workspace, record: PublishedPipelineRecord) -> None:
        self._workspace = workspace
        self._record = record

    @property
    def id(self) -> str:
        return self._record.id

    @property
    def name(self) -> str:
        return self._record.name

    @property
    def version(self) -> str | None:
        return self._record.version

    @property
    def description(self) -> str | None:
        return self._record.description

    @property
    def status(self) -> str:
        return self._record.status

    @property
    def graph(self) -> dict[str, Any]:
        return self._record.graph

    @property
    def endpoint(self) -> str:
        """The REST route (of the Jupyter server) that submits this pipeline."""
        return f"{API}/published-pipelines/{self.id}/runs"

    @staticmethod
    def _publish(
        workspace: Workspace,
        graph: dict[str, Any],
        name: str,
        description: str | None,
        version: str | None,
        source_run_id: str | None,
    ) -> PublishedPipeline:
        import copy

        from jupyter_mlstudio.pipeline.core._snapshots import store_snapshot

        graph = copy.deepcopy(graph)
        for node in graph["steps"]:
            if not node.get("snapshot"):
                node["snapshot"] = store_snapshot(workspace, node["source_directory"])
        record = workspace._store.pipelines.publish(
            uuid.uuid4().hex, name, version, description, graph, source_run_id
        )
        return PublishedPipeline(workspace, record)

    @staticmethod
    def get(workspace: Workspace, id: str) -> PublishedPipeline:
        return PublishedPipeline(workspace, workspace._store.pipelines.get_published(id))

    @staticmethod
    def list(workspace: Workspace, active_only: bool = True) -> list[PublishedPipeline]:
        return [
            PublishedPipeline(workspace, r)
            for r in workspace._store.pipelines.list_published(active_only)
        ]

    def submit(
        self,
        workspace: Workspace,
        experiment_name: str,
        pipeline_parameters: Mapping[str, Any] | None = None,
        parent_run_id: str | None = None,
        continue_on_step_failure: bool = False,
    ) -> PipelineRun:
        """Run the published pipeline in ``experiment_name``."""
        from jupyter_mlstudio.core.experiment import Experiment
        from jupyter_mlstudio.pipeline.core._submission import submit_graph

        if self.status != "Active":
            raise ValidationError(
                f"Published pipeline {self.id} is {self.status}.",
                hint="Enable it first: published.enable().",
            )
        return submit_graph(
            Experiment(workspace, experiment_name),
            self.graph,
            pipeline_parameters=pipeline_parameters,
            continue_on_step_failure=continue_on_step_failure,
            properties={"azureml.pipelineid": self.id},
        )

    def enable(self) -> None:
        self._set_status("Active")

    def disable(self) -> None:
        self._set_status("Disabled")

    def _set_status(self, status: str) -> None:
        self._workspace._store.pipelines.set_published_status(self.id, status)
        self._record = self._workspace._store.pipelines.get_published(self.id)

    def __repr__(self) -> str:
        return f"PublishedPipeline(name={self.name!r}, id={self.id!r}, version={self.version!r})"


class PipelineEndpoint:
    """A name with versions of a published pipeline and a default one."""

    def __init__(self, workspace: Workspace, record: PipelineEndpointRecord) -> None:
        self._workspace = workspace
        self._record = record

    @property
    def id(self) -> str:
        return self._record.id

    @property
    def name(self) -> str:
        return self._record.name

    @property
    def default_version(self) -> str:
        return str(self._record.default_version)

    @property
    def endpoint(self) -> str:
        return f"{API}/pipeline-endpoints/{self.name}/runs"

    @staticmethod
    def publish(
        workspace: Workspace, name: str, description: str | None, pipeline: Any
    ) -> PipelineEndpoint:
        published = _published(workspace, pipeline)
        record = workspace._store.pipelines.create_endpoint(
            uuid.uuid4().hex, name, description, published.id
        )
        return PipelineEndpoint(workspace, record)

    @staticmethod
    def get(
        workspace: Workspace,
        id: str | None = None,
        name: str | None = None,
    ) -> PipelineEndpoint:
        return PipelineEndpoint(
            workspace, workspace._store.pipelines.get_endpoint(endpoint_id=id, name=name)
        )

    @staticmethod
    def list(workspace: Workspace) -> list[PipelineEndpoint]:
        return [PipelineEndpoint(workspace, r) for r in workspace._store.pipelines.list_endpoints()]

    def add(self, pipeline: Any) -> None:
        """Add a version (not the default)."""
        published = _published(self._workspace, pipeline)
        self._record = self._workspace._store.pipelines.update_endpoint(
            self.name, lambda ids, default: ([*ids, published.id], default)
        )

    def add_default(self, pipeline: Any) -> None:
        """Add a version and make it the default."""
        published = _published(self._workspace, pipeline)
        self._record = self._workspace._store.pipelines.update_endpoint(
            self.name, lambda ids, default: ([*ids, published.id], len(ids))
        )

    def set_default_version(self, version: str | int) -> None:
        number = int(version)
        if not 0 <= number < len(self._record.pipelines):
            raise ValidationError(
                f"Pipeline endpoint {self.name!r} has no version {version}.",
                hint=f"Versions are 0 to {len(self._record.pipelines) - 1}.",
            )
        self._record = self._workspace._store.pipelines.update_endpoint(
            self.name, lambda ids, default: (ids, number)
        )

    def get_pipeline(self, version: str | int | None = None) -> PublishedPipeline:
        number = self._record.default_version if version is None else int(version)
        if not 0 <= number < len(self._record.pipelines):
            raise ValidationError(f"Pipeline endpoint {self.name!r} has no version {version}.")
        return PublishedPipeline.get(self._workspace, self._record.pipelines[number])

    def submit(
        self,
        experiment_name: str,
        pipeline_parameters: Mapping[str, Any] | None = None,
        pipeline_version: str | int | None = None,
    ) -> PipelineRun:
        return self.get_pipeline(pipeline_version).submit(
            self._workspace, experiment_name, pipeline_parameters
        )


def _published(workspace: Workspace, pipeline: Any) -> PublishedPipeline:
    if isinstance(pipeline, PublishedPipeline):
        return pipeline
    if hasattr(pipeline, "publish"):
        return pipeline.publish(name=getattr(pipeline, "description", None) or "pipeline")
    raise ValidationError(f"{pipeline!r} is neither a Pipeline nor a PublishedPipeline.")
