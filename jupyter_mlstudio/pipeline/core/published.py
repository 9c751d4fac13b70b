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
    """A pipeline stored with its graph and source snapshots (azureml PublishedPipeline).

    In Azure ML SDK v1 a published pipeline is a service resource whose REST URL starts runs
    when called with an AAD token. Here it is a row of the workspace's metadata database:
    the graph, each step pointing at a snapshot of its source folder (taken when the
    pipeline was submitted or published, so later edits to the files do not change it).
    ``endpoint`` is a route of the Jupyter server, called with Jupyter's token and Azure
    ML's JSON body (``ExperimentName``, ``ParameterAssignments``). Objects are made by
    ``Pipeline.publish``, ``PipelineRun.publish_pipeline``, :meth:`get` and :meth:`list`.
    """

    def __init__(self, workspace: Workspace, record: PublishedPipelineRecord) -> None:
        self._workspace = workspace
        self._record = record

    @property
    def id(self) -> str:
        """The published pipeline's id (random hex), used by ``get``, REST routes and schedules."""
        return self._record.id

    @property
    def name(self) -> str:
        """The name given at publication (names need not be unique)."""
        return self._record.name

    @property
    def version(self) -> str | None:
        """The free-text version given at publication, if any."""
        return self._record.version

    @property
    def description(self) -> str | None:
        """The description given at publication, if any."""
        return self._record.description

    @property
    def status(self) -> str:
        """``"Active"`` or ``"Disabled"``, as of when this object was loaded or last changed."""
        return self._record.status

    @property
    def graph(self) -> dict[str, Any]:
        """The stored pipeline graph, each step pointing at its source snapshot."""
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
        """The published pipeline ``id`` (azureml ``PublishedPipeline.get``).

        Raises
        ------
        PipelineNotFoundError
            If the workspace has no published pipeline with that id.
        """
        return PublishedPipeline(workspace, workspace._store.pipelines.get_published(id))

    @staticmethod
    def list(workspace: Workspace, active_only: bool = True) -> list[PublishedPipeline]:
        """The workspace's published pipelines, newest first (azureml ``PublishedPipeline.list``).

        Parameters
        ----------
        workspace : Workspace
        active_only : bool
            Leave out disabled pipelines (the default, as in Azure ML).

        Returns
        -------
        list of PublishedPipeline
        """
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
        """Allow the pipeline to be submitted again (azureml ``PublishedPipeline.enable``)."""
        self._set_status("Active")

    def disable(self) -> None:
        """Refuse further submissions (azureml ``PublishedPipeline.disable``); runs going on go on.

        Schedules of a disabled pipeline still fire, and their submission fails with a warning
        until it is enabled again.
        """
        self._set_status("Disabled")

    def _set_status(self, status: str) -> None:
        self._workspace._store.pipelines.set_published_status(self.id, status)
        self._record = self._workspace._store.pipelines.get_published(self.id)

    def __repr__(self) -> str:
        return f"PublishedPipeline(name={self.name!r}, id={self.id!r}, version={self.version!r})"


class PipelineEndpoint:
    """A name with versions of a published pipeline and a default one (azureml PipelineEndpoint).

    As in Azure ML SDK v1, the endpoint keeps one name and one REST route while new
    published pipelines are added as versions numbered from 0; a submission without a
    version runs the default. Locally the route is on the Jupyter server, versions cannot
    be removed, and an endpoint cannot be disabled or archived.
    """

    def __init__(self, workspace: Workspace, record: PipelineEndpointRecord) -> None:
        self._workspace = workspace
        self._record = record

    @property
    def id(self) -> str:
        """The pipeline endpoint's id (random hex)."""
        return self._record.id

    @property
    def name(self) -> str:
        """The endpoint's name, unique in the workspace; REST submissions address it by name."""
        return self._record.name

    @property
    def default_version(self) -> str:
        """The default version's number as a string (``"0"`` for the first), as in Azure ML."""
        return str(self._record.default_version)

    @property
    def endpoint(self) -> str:
        """The REST route (of the Jupyter server) that submits the endpoint's default version.

        In Azure ML this is an HTTPS URL called with an AAD token; here it is a route of the
        Jupyter server, called with Jupyter's token and the same JSON body.
        """
        return f"{API}/pipeline-endpoints/{self.name}/runs"

    @staticmethod
    def publish(
        workspace: Workspace, name: str, description: str | None, pipeline: Any
    ) -> PipelineEndpoint:
        """Create a pipeline endpoint with ``pipeline`` as version 0 (azureml ``publish``).

        Parameters
        ----------
        workspace : Workspace
        name : str
            The endpoint's name, which must be free.
        description : str or None
        pipeline : Pipeline or PublishedPipeline
            A ``Pipeline`` is published first, named after its description.

        Returns
        -------
        PipelineEndpoint

        Raises
        ------
        ConflictError
            If a pipeline endpoint of that name exists (add versions with :meth:`add_default`).
        ValidationError
            If ``pipeline`` is neither a Pipeline nor a PublishedPipeline.
        """
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
        """A pipeline endpoint by ``id`` or, when no id is given, by ``name`` (azureml ``get``).

        Raises
        ------
        PipelineNotFoundError
            If there is no such pipeline endpoint.
        """
        return PipelineEndpoint(
            workspace, workspace._store.pipelines.get_endpoint(endpoint_id=id, name=name)
        )

    @staticmethod
    def list(workspace: Workspace) -> list[PipelineEndpoint]:
        """Every pipeline endpoint of the workspace, sorted by name (azureml ``list``).

        Unlike Azure ML there is no ``active_only``: local pipeline endpoints are never disabled.
        """
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
        """Make version ``version`` (a number from 0, as str or int) the default.

        Raises
        ------
        ValidationError
            If the endpoint has no such version.
        """
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
        """The published pipeline of ``version``, or of the default version when it is None.

        Raises
        ------
        ValidationError
            If the endpoint has no such version.
        PipelineNotFoundError
            If that version's published pipeline no longer exists.
        """
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
        """Run a version of the endpoint in ``experiment_name`` (azureml ``submit``).

        Parameters
        ----------
        experiment_name : str
        pipeline_parameters : Mapping, optional
            Values for the pipeline's parameters by name.
        pipeline_version : str or int, optional
            The version to run; the default version when left out.

        Returns
        -------
        PipelineRun

        Raises
        ------
        ValidationError
            If the version does not exist, its pipeline is disabled, or a parameter is wrong.
        """
        return self.get_pipeline(pipeline_version).submit(
            self._workspace, experiment_name, pipeline_parameters
        )


def _published(workspace: Workspace, pipeline: Any) -> PublishedPipeline:
    if isinstance(pipeline, PublishedPipeline):
        return pipeline
    if hasattr(pipeline, "publish"):
        return pipeline.publish(name=getattr(pipeline, "description", None) or "pipeline")
    raise ValidationError(f"{pipeline!r} is neither a Pipeline nor a PublishedPipeline.")
