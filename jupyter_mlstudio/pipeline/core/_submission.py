"""Submitting a pipeline graph: check parameters, store snapshots, create the run, start
its controller. Returns at once with the run; the controller does the rest."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.pipeline.core.graph_data import check_parameter_value
from jupyter_mlstudio.store import RunStatus

if TYPE_CHECKING:
    from jupyter_mlstudio.core.experiment import Experiment
    from jupyter_mlstudio.pipeline.core.run import PipelineRun

PIPELINE_RUN_TYPE = "azureml.PipelineRun"
STEP_RUN_TYPE = "azureml.StepRun"


def resolve_parameters(
    graph: Mapping[str, Any], overrides: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Every pipeline parameter's value: the override if given (type-checked), else the
    default. Unknown names are refused with the list of known ones."""
    declared = graph.get("parameters", {})
    unknown = sorted(set(overrides or {}) - set(declared))
    if unknown:
        known = ", ".join(sorted(declared)) or "none"
        raise ValidationError(
            f"The pipeline has no parameter {unknown[0]!r}.",
            hint=f"Its parameters are: {known}.",
            name=unknown[0],
        )
    values = {name: spec["default"] for name, spec in declared.items()}
    for name, value in (overrides or {}).items():
        values[name] = check_parameter_value(name, declared[name]["type"], value)
    return values


def submit_graph(
    experiment: Experiment,
    graph: Mapping[str, Any],
    *,
    tags: Mapping[str, str] | None = None,
    pipeline_parameters: Mapping[str, Any] | None = None,
    regenerate_outputs: bool = False,
    continue_on_step_failure: bool = False,
    partial: Mapping[str, Any] | None = None,
    properties: Mapping[str, str] | None = None,
) -> PipelineRun:
    from jupyter_mlstudio.core.experiment import new_run_id
    from jupyter_mlstudio.pipeline.core._snapshots import store_snapshot
    from jupyter_mlstudio.pipeline.core.run import PipelineRun

    ws = experiment.workspace
    values = resolve_parameters(graph, pipeline_parameters)
    graph = copy.deepcopy(dict(graph))
    for node in graph["steps"]:
        if not node.get("snapshot"):
            node["snapshot"] = store_snapshot(ws, node["source_directory"])
        ws._store.assets.get_compute_target(node["compute_target"])  # fails now if unknown
    record = ws._store.tracking.create_run(
        experiment.name,
        new_run_id(experiment.name),
        PIPELINE_RUN_TYPE,
        status=RunStatus.NOT_STARTED,
        target="local",
        definition={
            "graph": graph,
            "parameters": values,
            "regenerate_outputs": bool(regenerate_outputs),
            "continue_on_step_failure": bool(continue_on_step_failure),
            "partial": dict(partial or {}),
        },
        tags=tags,
        properties=properties,
        params={k: str(v) for k, v in values.items()},
        experiment=experiment._record,
    )
    assert ws._config_path is not None
    from jupyter_mlstudio.pipeline._controller import Controller

    # A pipeline whose every step is reused needs no controller process.
    if Controller(record.run_id, str(ws._config_path), workspace=ws).reuse_everything():
        return PipelineRun(experiment, record.run_id)
    from jupyter_mlstudio.pipeline._controller import launch

    launch(ws, record.run_id)  # forked from the warm forker when it can (no imports to wait)
    return PipelineRun(experiment, record.run_id)
