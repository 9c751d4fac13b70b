"""Compiling a designer document to a :class:`~jupyter_mlstudio.pipeline.core.Pipeline`.

Each node becomes a :class:`~jupyter_mlstudio.pipeline.steps.NotebookStep` running its
component's notebook; each output port a :class:`PipelineData` named ``<node>_<port>``
(a folder the step writes, read by the steps its edges lead to). Ports and parameters are
passed as the notebook's parameters; values bound to pipeline parameters become
:class:`PipelineParameter` objects, set when the pipeline is submitted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.designer.components import script_notebook
from jupyter_mlstudio.designer.library import ComponentLibrary
from jupyter_mlstudio.designer.validation import Problem, validate
from jupyter_mlstudio.pipeline.core.graph import PipelineValidationError
from jupyter_mlstudio.pipeline.core.graph_data import PipelineData, PipelineParameter
from jupyter_mlstudio.pipeline.steps.notebook_step import NotebookStep

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace
    from jupyter_mlstudio.designer.document import PipelineDocument
    from jupyter_mlstudio.pipeline.core.pipeline import Pipeline

__all__ = ["CompiledPipeline", "compile_document", "step_names"]


@dataclass
class CompiledPipeline:
    """The steps of a compiled document, with the node each came from."""

    steps: list[NotebookStep]
    step_of_node: dict[str, str]  # node id -> step name
    data_of_port: dict[tuple[str, str], str]  # (node id, output port) -> PipelineData name

    def pipeline(self, workspace: Workspace, description: str | None = None) -> Pipeline:
        """The steps as a :class:`Pipeline` of ``workspace``."""
        from jupyter_mlstudio.pipeline.core.pipeline import Pipeline

        return Pipeline(workspace, self.steps, description=description)


def data_name(node_id: str, port: str) -> str:
    """The PipelineData (and step output) name of a node's output port."""
    return f"{node_id}_{port}"


def step_names(document: PipelineDocument, library: ComponentLibrary) -> dict[str, str]:
    """Node id -> step name: the node's name, else its component's, made unique with the
    node id when two nodes would share one."""
    wanted = {}
    for node in document.nodes:
        name = node.get("name")
        if not name:
            try:
                name = library.get(node["component"]["ref"]).name
            except Exception:  # validation reports unknown components
                name = node["id"]
        wanted[node["id"]] = name
    counts: dict[str, int] = {}
    for name in wanted.values():
        counts[name] = counts.get(name, 0) + 1
    return {nid: (f"{name} [{nid}]" if counts[name] > 1 else name) for nid, name in wanted.items()}


def compile_document(
    document: PipelineDocument,
    library: ComponentLibrary | None = None,
    problems: list[Problem] | None = None,
) -> CompiledPipeline:
    """The document's steps; raises :class:`PipelineValidationError` listing every error
    when the document has any (``problems``, if given, receives them all)."""
    library = library or ComponentLibrary(document.folder)
    found = validate(document, library)
    if problems is not None:
        problems.extend(found)
    errors = [p for p in found if p.severity == "error"]
    if errors:
        raise PipelineValidationError(
            f"The pipeline {document.name!r} has {len(errors)} problem(s):\n"
            + "\n".join(f"- {p}" for p in errors),
            hint="Fix each (document.validate() lists them with their node and port).",
            diagnostics=errors,
        )
    settings = document.settings
    default_compute = settings.get("compute") or "local"
    allow_reuse = bool(settings.get("allow_reuse", True))
    runconfig = _runconfig(settings.get("environment"))
    pparams = {
        p["name"]: PipelineParameter(p["name"], _typed(p["type"], p["default"]))
        for p in document.parameters
    }
    names = step_names(document, library)
    data: dict[tuple[str, str], PipelineData] = {}
    for node in document.nodes:
        comp = library.get(node["component"]["ref"])
        for port in comp.outputs:
            data[(node["id"], port.name)] = PipelineData(data_name(node["id"], port.name))
    feeds = {(e["target"]["node"], e["target"]["port"]): e["source"] for e in document.edges}
    steps = []
    for node in document.nodes:
        nid = node["id"]
        comp = library.get(node["component"]["ref"])
        values: dict[str, Any] = {}
        inputs = []
        for port in comp.inputs:
            source = feeds.get((nid, port.name))
            if source is None:
                values[port.name] = None
                continue
            item = data[(source["node"], source["port"])]
            values[port.name] = item
            inputs.append(item)
        outputs = [data[(nid, port.name)] for port in comp.outputs]
        for port in comp.outputs:
            values[port.name] = data[(nid, port.name)]
        given = node.get("parameters") or {}
        stamps = []
        for param in comp.parameters:
            value = given.get(param.name, param.default)
            if isinstance(value, dict):
                value = pparams[value["pipelineParameter"]]
            elif param.type == "path" and value:
                value = str((document.folder / Path(value).expanduser()).resolve())
                stamps.append(_stamp(Path(value)))
            elif param.type == "float" and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            values[param.name] = value
        fresh = _fresh(comp, values)
        if stamps or fresh:
            # A step is reused when its definition is unchanged, and so are the steps after
            # it: the files it reads (size, time) and, for sources that can change unseen (a
            # URL, a dataset's latest version), a value new each time are part of it.
            values[_STAMP] = uuid.uuid4().hex if fresh else "/".join(stamps)
        notebook = comp.notebook.name
        if comp.notebook.suffix == ".py":
            notebook = script_notebook(comp.notebook).relative_to(comp.notebook.parent).as_posix()
        steps.append(
            NotebookStep(
                notebook=notebook,
                name=names[nid],
                source_directory=str(comp.notebook.parent),
                parameters=values,
                inputs=inputs,
                outputs=outputs,
                compute_target=node.get("compute") or default_compute,
                runconfig=runconfig,
                allow_reuse=allow_reuse and not fresh,
            )
        )
    return CompiledPipeline(steps, names, {key: item.name for key, item in data.items()})


_STAMP = "mlstudio_source_stamp"


def _stamp(path: Path) -> str:
    """Size and modification time of a file, or of every file in a folder."""
    try:
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        return ";".join(f"{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files)
    except OSError:
        return "missing"  # the step reports the missing file when it runs


def _fresh(comp: Any, values: dict[str, Any]) -> bool:
    """Whether the component reads what may change without its parameters changing
    (its metadata's ``x-fresh-when`` conditions, e.g. Import Data from a URL)."""
    for condition in comp.extra.get("x-fresh-when") or []:
        if all(values.get(name) in allowed for name, allowed in condition.items()):
            return True
    return False


def _typed(kind: str, value: Any) -> Any:
    if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _runconfig(environment: str | None) -> Any:
    if not environment:
        return None
    from jupyter_mlstudio.core.runconfig import RunConfiguration

    config = RunConfiguration()
    config.environment = _environment(environment)
    return config


def _environment(name: str) -> Any:
    from jupyter_mlstudio.core.environment import Environment
    from jupyter_mlstudio.core.workspace import Workspace

    ws = Workspace._from_env() or Workspace.from_config(_quiet=True)
    label, _, version = name.partition(":")
    return Environment.get(ws, label, version=version or None)


def load_pipeline(path: str | Path, workspace: Workspace | None = None) -> Pipeline:
    """``Pipeline.load``: read, validate and compile a ``.mlpipeline`` document."""
    from jupyter_mlstudio.designer.document import PipelineDocument

    document = PipelineDocument.load(path)
    if workspace is None:
        from jupyter_mlstudio.core.workspace import Workspace

        workspace = Workspace._from_env() or Workspace.from_config(path=document.folder)
    compiled = compile_document(document)
    return compiled.pipeline(workspace, description=document.data.get("description") or None)
