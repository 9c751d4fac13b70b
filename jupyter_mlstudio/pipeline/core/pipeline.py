"""``Pipeline``: steps connected by data, validated, submitted, published."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.pipeline.core.graph import (
    Diagnostic,
    PipelineValidationError,
    compile_graph,
    dependencies,
)

if TYPE_CHECKING:
    from jupyter_mlstudio.core.experiment import Experiment
    from jupyter_mlstudio.core.workspace import Workspace
    from jupyter_mlstudio.pipeline.core.published import PublishedPipeline
    from jupyter_mlstudio.pipeline.core.run import PipelineRun
    from jupyter_mlstudio.pipeline.steps.base import PipelineStep

__all__ = ["Pipeline"]


class Pipeline:
    """A DAG of steps (azureml.pipeline.core.Pipeline).

    Steps that the given ones need (the producers of their input data) are included
    automatically: ``Pipeline(ws, steps=[train])`` runs the cleaning step ``train`` reads.
    """

    def __init__(
        self,
        workspace: Workspace,
        steps: Sequence[PipelineStep],
        description: str | None = None,
        default_datastore: Any = None,
        default_source_directory: str | None = None,
        resolve_closure: bool = True,
        _partial: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._workspace = workspace
        self._steps = list(steps)
        self.description = description
        self.default_source_directory = default_source_directory
        self._partial = dict(_partial or {})

    @classmethod
    def load(cls, path: str, workspace: Workspace | None = None) -> Pipeline:
        """The pipeline of a designer document (``x.mlpipeline``), validated: each node a
        notebook step. ``workspace`` defaults to the one found from the document's folder."""
        from jupyter_mlstudio.designer.compiler import load_pipeline

        return load_pipeline(path, workspace)

    def _compile(self) -> tuple[dict[str, Any], list[Diagnostic]]:
        return compile_graph(
            self._steps,
            self._workspace,
            default_source_directory=self.default_source_directory,
            description=self.description,
        )

    @property
    def graph(self) -> dict[str, Any]:
        """The pipeline as plain data (what runs, and what is published)."""
        return self._compile()[0]

    def diagnostics(self) -> list[Diagnostic]:
        """Every problem and warning, each naming its step."""
        return self._compile()[1]

    def validate(self) -> list[str]:
        """The errors (empty when the pipeline can run); warnings are printed."""
        found = self.diagnostics()
        for warning in (d for d in found if d.severity == "warning"):
            print(f"Warning: {warning}")
        return [str(d) for d in found if d.severity == "error"]

    def _checked_graph(self) -> dict[str, Any]:
        graph, found = self._compile()
        errors = [d for d in found if d.severity == "error"]
        if errors:
            raise PipelineValidationError(
                "The pipeline cannot run:\n" + "\n".join(f"- {d}" for d in errors),
                hint="Fix each problem listed (pipeline.validate() lists them too).",
                diagnostics=errors,
            )
        return graph

    # ---- partial runs ------------------------------------------------------------------
    def only_steps(self, names: Sequence[str]) -> Pipeline:
        """The same pipeline, running only ``names``; every other step's outputs come from
        its latest successful run (it must have one)."""
        return self._select(set(names))

    def from_step(self, name: str) -> Pipeline:
        """The same pipeline, running ``name`` and everything downstream of it; upstream
        outputs come from their latest successful runs."""
        graph = self.graph
        by_name = {n["name"]: n["id"] for n in graph["steps"]}
        if name not in by_name:
            raise PipelineValidationError(
                f"The pipeline has no step {name!r}.",
                hint=f"Its steps are: {', '.join(sorted(by_name))}.",
            )
        deps = dependencies(graph)
        selected = {by_name[name]}
        changed = True
        while changed:
            changed = False
            for sid, needs in deps.items():
                if sid not in selected and needs & selected:
                    selected.add(sid)
                    changed = True
        names = {n["name"] for n in graph["steps"] if n["id"] in selected}
        return self._select(names)

    def _select(self, names: set[str]) -> Pipeline:
        known = {n["name"] for n in self.graph["steps"]}
        missing = sorted(names - known)
        if missing:
            raise PipelineValidationError(
                f"The pipeline has no step {missing[0]!r}.",
                hint=f"Its steps are: {', '.join(sorted(known))}.",
            )
        return Pipeline(
            self._workspace,
            self._steps,
            self.description,
            default_source_directory=self.default_source_directory,
            _partial={"run": sorted(names)},
        )

    # ---- running -------------------------------------------------------------------------
    def submit(
        self,
        experiment_name: str,
        pipeline_parameters: Mapping[str, Any] | None = None,
        continue_on_step_failure: bool = False,
        regenerate_outputs: bool = False,
        parent_run_id: str | None = None,
        **kwargs: Any,
    ) -> PipelineRun:
        """Run the pipeline in ``experiment_name`` (azureml ``Pipeline.submit``).

        The graph is validated, each step's source directory is snapshotted, and a pipeline
        run is created; a controller process then runs the steps. When every step can reuse an
        earlier run, the reuses are recorded at once and no process is started. Returns
        without waiting; call ``wait_for_completion`` on the run.

        Parameters
        ----------
        experiment_name : str
            The experiment the run goes to (created if new).
        pipeline_parameters : Mapping, optional
            Values for the pipeline's ``PipelineParameter`` objects by name.
        continue_on_step_failure : bool
            Keep running the steps that do not depend on a failed one.
        regenerate_outputs : bool
            Run every step again instead of reusing earlier outputs.
        parent_run_id : str, optional
            Accepted for compatibility with azureml and ignored.
        **kwargs
            Other azureml arguments, accepted and ignored.

        Returns
        -------
        PipelineRun

        Raises
        ------
        PipelineValidationError
            If the graph has errors.
        ValidationError
            If a pipeline parameter is unknown or of the wrong type.
        ComputeTargetException
            If a step names a compute target the workspace does not have.
        """
        from jupyter_mlstudio.core.experiment import Experiment

        return self._submit(
            Experiment(self._workspace, experiment_name),
            None,
            pipeline_parameters=pipeline_parameters,
            continue_on_step_failure=continue_on_step_failure,
            regenerate_outputs=regenerate_outputs,
        )

    def _submit(
        self,
        experiment: Experiment,
        tags: Mapping[str, str] | None = None,
        pipeline_parameters: Mapping[str, Any] | None = None,
        continue_on_step_failure: bool = False,
        regenerate_outputs: bool = False,
        **kwargs: Any,
    ) -> PipelineRun:
        from jupyter_mlstudio.pipeline.core._submission import submit_graph

        return submit_graph(
            experiment,
            self._checked_graph(),
            tags=tags,
            pipeline_parameters=pipeline_parameters,
            regenerate_outputs=regenerate_outputs,
            continue_on_step_failure=continue_on_step_failure,
            partial=self._partial,
        )

    def publish(
        self,
        name: str | None = None,
        description: str | None = None,
        version: str | None = None,
        continue_on_step_failure: bool | None = None,
    ) -> PublishedPipeline:
        """Store this pipeline (graph and source snapshots) to be submitted later, by id."""
        from jupyter_mlstudio.pipeline.core.published import PublishedPipeline

        return PublishedPipeline._publish(
            self._workspace,
            self._checked_graph(),
            name or "pipeline",
            description or self.description,
            version,
            None,
        )

    def __repr__(self) -> str:
        return f"Pipeline(steps={[s.name for s in self._steps]!r})"
