"""A pipeline as plain data: steps, their arguments, edges, parameters; and its checks.

``compile_graph`` turns step objects into a JSON-able graph and a list of diagnostics
(severity, step, message), without running or changing anything. The controller runs the
graph; the designer produces one; a published pipeline stores one.
"""

from __future__ import annotations

import graphlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.pipeline.core.graph_data import PipelineData, PipelineParameter

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace
    from jupyter_mlstudio.pipeline.steps.base import PipelineStep

__all__ = ["Diagnostic", "PipelineValidationError", "compile_graph", "step_order"]

GRAPH_SCHEMA = 1


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in a pipeline graph.

    Attributes
    ----------
    severity : str
        ``"error"`` (the pipeline cannot run) or ``"warning"``.
    step : str or None
        The step's name, or None for a problem of the whole pipeline.
    message : str
        What is wrong, in words.
    """

    severity: str  # error | warning
    step: str | None
    message: str

    def __str__(self) -> str:
        where = f"Step {self.step!r}: " if self.step else ""
        return f"{where}{self.message}"


class PipelineValidationError(ValidationError):
    """The pipeline has problems; ``diagnostics`` lists each, naming its step."""


def _collect(steps: Sequence[PipelineStep]) -> list[PipelineStep]:
    """The steps given and every step they need, each once, in a stable order."""
    found: list[PipelineStep] = []
    stack = list(steps)
    while stack:
        step = stack.pop(0)
        if any(step is s for s in found):
            continue
        found.append(step)
        stack.extend(step.upstream())
    return found


def _ordered(steps: list[PipelineStep]) -> list[PipelineStep]:
    """Steps with each after those it needs (as given when they form a cycle)."""
    index = {id(s): i for i, s in enumerate(steps)}
    sorter = graphlib.TopologicalSorter(
        {i: {index[id(u)] for u in s.upstream() if id(u) in index} for i, s in enumerate(steps)}
    )
    try:
        return [steps[i] for i in sorter.static_order()]
    except graphlib.CycleError:
        return steps


def _value(
    workspace: Workspace | None,
    value: Any,
    step: str,
    params: dict[str, Any],
    problems: list[Diagnostic],
) -> Any:
    from jupyter_mlstudio.data.abstract_dataset import AbstractDataset
    from jupyter_mlstudio.data.dataset_consumption_config import DatasetConsumptionConfig

    if isinstance(value, PipelineData):
        return {"data": value.name}
    if isinstance(value, PipelineParameter):
        known = params.get(value.name)
        if known is not None and known["default"] != value.default_value:
            problems.append(
                Diagnostic(
                    "error",
                    step,
                    f"pipeline parameter {value.name!r} has two defaults, "
                    f"{known['default']!r} and {value.default_value!r}.",
                )
            )
        params[value.name] = {"default": value.default_value, "type": value.type_name}
        return {"param": value.name}
    if isinstance(value, AbstractDataset):
        value = value.as_named_input(value.name or "dataset")
    if isinstance(value, DatasetConsumptionConfig):
        return {
            "dataset": {
                "name": value.name,
                "mode": value.mode,
                "id": value.dataset.id,
                "kind": value.dataset._kind,
                "definition": value.dataset._definition,
            }
        }
    if hasattr(value, "local_path") and hasattr(value, "datastore"):
        return value.local_path()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    problems.append(
        Diagnostic(
            "error",
            step,
            f"the value {value!r} ({type(value).__name__}) cannot be passed to a step.",
        )
    )
    return None


def _has_parameters_cell(path: Path) -> bool:
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    return any(
        "parameters" in (cell.get("metadata", {}).get("tags") or []) for cell in notebook.cells
    )


def compile_graph(
    steps: Sequence[PipelineStep],
    workspace: Workspace | None = None,
    *,
    default_source_directory: str | None = None,
    description: str | None = None,
) -> tuple[dict[str, Any], list[Diagnostic]]:
    """The graph of ``steps`` (and the steps they need) and what is wrong with it."""
    problems: list[Diagnostic] = []
    every = _ordered(_collect(steps))
    if not every:
        problems.append(Diagnostic("error", None, "the pipeline has no steps."))
    ids = {id(step): f"s{i}" for i, step in enumerate(every)}
    names = [s.name for s in every]
    for name in {n for n in names if names.count(n) > 1}:
        problems.append(
            Diagnostic(
                "error", name, "two steps have this name; names must be unique in a pipeline."
            )
        )
    producers: dict[str, str] = {}
    for step in every:
        for output in step.outputs:
            if not isinstance(output, PipelineData):
                problems.append(
                    Diagnostic("error", step.name, f"the output {output!r} is not a PipelineData.")
                )
                continue
            if output.name in producers:
                problems.append(
                    Diagnostic(
                        "error",
                        step.name,
                        f"the output name {output.name!r} is written by step "
                        f"{producers[output.name]!r} too; output names must be unique.",
                    )
                )
            producers[output.name] = step.name
    params: dict[str, Any] = {}
    nodes = []
    for step in every:
        source = Path(step.source_directory or default_source_directory or ".").expanduser()
        node: dict[str, Any] = {
            "id": ids[id(step)],
            "name": step.name,
            "kind": step.kind,
            "source_directory": str(source.resolve()),
            "compute_target": _target(step.compute_target),
            "allow_reuse": bool(step.allow_reuse),
            "outputs": [o.name for o in step.outputs if isinstance(o, PipelineData)],
            "inputs": [],
            "after": [ids[id(a)] for a in step._after if id(a) in ids],
            "environment": _environment(step.runconfig),
        }
        for item in step.inputs:
            converted = _value(workspace, item, step.name, params, problems)
            node["inputs"].append(converted)
        if step.kind == "python_script":
            node["script"] = step.script_name  # type: ignore[attr-defined]
            node["arguments"] = [
                _value(workspace, a, step.name, params, problems) for a in step.arguments
            ]  # type: ignore[attr-defined]
            entry = source / step.script_name  # type: ignore[attr-defined]
        else:
            node["notebook"] = step.notebook  # type: ignore[attr-defined]
            node["parameters"] = {
                k: _value(workspace, v, step.name, params, problems)
                for k, v in step.parameters.items()
            }  # type: ignore[attr-defined]
            node["kernel_name"] = step.kernel_name  # type: ignore[attr-defined]
            entry = source / step.notebook  # type: ignore[attr-defined]
        if not entry.is_file():
            problems.append(
                Diagnostic(
                    "error",
                    step.name,
                    f"{entry.name!r} does not exist in its source directory {source}.",
                )
            )
        elif step.kind == "notebook" and not _has_parameters_cell(entry):
            problems.append(
                Diagnostic(
                    "warning",
                    step.name,
                    f"{entry.name} has no cell tagged 'parameters'; the "
                    "parameters are injected at the top of the notebook, as papermill does.",
                )
            )
        for used in _data_names(node):
            if used not in producers:
                problems.append(
                    Diagnostic(
                        "error",
                        step.name,
                        f"it reads the pipeline data {used!r}, which no step "
                        "of the pipeline writes.",
                    )
                )
        nodes.append(node)
    graph = {
        "schema": GRAPH_SCHEMA,
        "description": description,
        "steps": nodes,
        "parameters": params,
    }
    try:
        step_order(graph)
    except graphlib.CycleError as exc:
        cycle = [next(n["name"] for n in nodes if n["id"] == sid) for sid in exc.args[1]]
        problems.append(
            Diagnostic("error", cycle[0], "the steps form a cycle: " + " -> ".join(cycle))
        )
    json.dumps(graph)  # the graph must stay plain data
    return graph, problems


def _data_names(node: dict[str, Any]) -> set[str]:
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "data" in value and len(value) == 1:
                found.add(value["data"])
            else:
                for v in value.values():
                    walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(node.get("arguments", []))
    walk(node.get("parameters", {}))
    walk(node.get("inputs", []))
    return found - set(node["outputs"])


def dependencies(graph: dict[str, Any]) -> dict[str, set[str]]:
    """Step id -> ids of the steps it waits for."""
    producer = {out: n["id"] for n in graph["steps"] for out in n["outputs"]}
    return {
        n["id"]: {producer[d] for d in _data_names(n) if d in producer} | set(n["after"])
        for n in graph["steps"]
    }


def step_order(graph: dict[str, Any]) -> list[str]:
    """Step ids in an order where every step comes after those it needs."""
    return list(graphlib.TopologicalSorter(dependencies(graph)).static_order())


def _target(target: Any) -> str:
    if target is None:
        return "local"
    return target if isinstance(target, str) else str(getattr(target, "name", target))


def _environment(runconfig: Any) -> dict[str, Any] | None:
    env = getattr(runconfig, "environment", None)
    return env.get_definition() if env is not None and hasattr(env, "get_definition") else None
