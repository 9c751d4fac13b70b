"""The designer canvas' service: its component palette, validation of the document being
edited, submitting it as a pipeline run, and the step status of each node of a run.

Documents arrive as JSON (the canvas' unsaved state) with the path of their ``.mlpipeline``
file relative to the server's root folder; relative component and data paths are resolved
from that file's folder, which must lie inside the root.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.core.experiment import Experiment
from jupyter_mlstudio.core.run import Run
from jupyter_mlstudio.designer import (
    ComponentLibrary,
    PipelineDocument,
    builtin_components,
    compile_document,
    validate,
)
from jupyter_mlstudio.errors import MlStudioError, ValidationError
from jupyter_mlstudio.studio.serialize import json_safe

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace

__all__ = ["NODES_TAG", "DOCUMENT_TAG", "DesignerService"]

#: Tag of a designer run: JSON of node id -> step name (the run's steps are named, not ids).
NODES_TAG = "mlstudio.designer.nodes"
#: Tag of a designer run: the document's path relative to the server root.
DOCUMENT_TAG = "mlstudio.designer.document"
_EXPERIMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,254}")


def _palette_entry(component: Mapping[str, Any]) -> dict[str, Any]:
    entry = dict(component)
    # The canvas needs the notebook's name only, not where the package is installed.
    entry["notebook"] = Path(str(entry.get("notebook", ""))).name
    entry["preset"] = {}
    return entry


class DesignerService:
    """The designer's operations over one workspace and the server's root folder.

    Parameters
    ----------
    workspace : Workspace
        Where runs are submitted and datasets are listed from.
    root : str or pathlib.Path
        The Jupyter server's root folder; document paths are relative to it.
    """

    def __init__(self, workspace: Workspace, root: str | Path) -> None:
        self._ws = workspace
        self.root = Path(root).expanduser().resolve()

    # ---- palette ---------------------------------------------------------------------------
    def components(self) -> dict[str, Any]:
        """The palette: every built-in component, then one Import Data preset per registered
        tabular dataset (category ``Datasets``)."""
        builtins = [_palette_entry(c.to_dict()) for c in builtin_components()]
        entries = list(builtins)
        importer = next((c for c in builtins if c["ref"] == "builtin:import_data"), None)
        # The value of Import Data's ``source`` that reads a registered dataset.
        source = next(
            (
                str(choice)
                for param in (importer or {}).get("parameters", [])
                if param["name"] == "source"
                for choice in param.get("choices") or []
                if "dataset" in str(choice)
            ),
            None,
        )
        if importer is not None and source is not None:
            for record in self._ws._store.datasets.list_latest():
                if str(record.kind).lower() != "tabular":
                    continue
                preset = dict(importer)
                preset["name"] = record.name
                preset["category"] = "Datasets"
                preset["description"] = (
                    record.description or f"Registered dataset {record.name}"
                ) + f" (version {record.version})."
                preset["preset"] = {
                    "source": source,
                    "dataset_name": record.name,
                    "dataset_version": "latest",
                }
                entries.append(preset)
        return json_safe({"components": entries, "portTypes": _port_types()})

    def resolve_components(self, refs: Any, path: str | None = None) -> dict[str, Any]:
        """The interfaces of ``refs`` (``file:`` notebooks or scripts, relative to the document
        at ``path``; a path relative to the server root is made relative to the document), for
        palette entries and nodes the built-in palette does not know. A ref that cannot be read
        is answered with its problem instead."""
        if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
            raise ValidationError(
                "refs must be a list of component references.",
                hint='Send {"refs": ["file:my_step.ipynb"], "path": "x.mlpipeline"}.',
            )
        folder = (self.resolve(path) if path else self.root / "untitled").parent
        library = ComponentLibrary(folder)
        found: list[dict[str, Any]] = []
        problems: dict[str, str] = {}
        for given in refs:
            ref = given
            if given.startswith("root:"):
                target = self.resolve(given.removeprefix("root:"))
                ref = "file:" + os.path.relpath(target, folder)
            elif not given.startswith("file:"):
                problems[given] = "only file: references are resolved here."
                continue
            else:
                # Only files under the server's folder are read.
                target = library.notebook_path(given).resolve()
                if not target.is_relative_to(self.root):
                    problems[given] = "the file is outside the server's folder."
                    continue
            try:
                comp = library.get(ref)
            except MlStudioError as exc:
                problems[given] = f"{exc.message} {exc.hint or ''}".strip()
                continue
            entry = _palette_entry(comp.to_dict())
            entry["requested"] = given
            found.append(entry)
        return json_safe({"components": found, "problems": problems})

    # ---- documents -------------------------------------------------------------------------
    def document(self, data: Any, path: str | None) -> PipelineDocument:
        """The document ``data`` as if saved at ``path`` (relative to the root)."""
        if not isinstance(data, dict):
            raise ValidationError(
                "The request has no pipeline document.",
                hint='Send {"document": {...the .mlpipeline JSON...}, "path": "x.mlpipeline"}.',
            )
        return PipelineDocument(data, self.resolve(path) if path else self.root / "untitled")

    def resolve(self, path: str) -> Path:
        """``path`` (relative to the root) as an absolute path; refuses one outside the root."""
        if not isinstance(path, str) or "\x00" in path:
            raise ValidationError(f"{path!r} is not a document path.")
        target = (self.root / path.lstrip("/")).resolve()
        if target != self.root and self.root not in target.parents:
            raise ValidationError(
                f"The document path {path!r} is outside the server's folder.",
                hint="Give the path of the .mlpipeline file relative to the server's folder.",
                path=path,
            )
        return target

    def validate(self, data: Any, path: str | None = None) -> dict[str, Any]:
        """Every problem of the document, each naming its node, port, parameter or edge."""
        doc = self.document(data, path)
        problems = [p.to_dict() for p in validate(doc, ComponentLibrary(doc.folder))]
        return {
            "problems": problems,
            "errors": sum(1 for p in problems if p["severity"] == "error"),
        }

    def submit(
        self,
        data: Any,
        experiment: Any,
        parameters: Any = None,
        path: str | None = None,
    ) -> dict[str, Any]:
        """Compile the document and run it in ``experiment``; returns the run id and the
        step name of each node. A document with errors is refused with every problem."""
        if not isinstance(experiment, str) or not _EXPERIMENT.fullmatch(experiment.strip()):
            raise ValidationError(
                f"{experiment!r} is not an experiment name.",
                hint="Use letters, digits, '-', '_' and '.', starting with a letter or digit.",
            )
        experiment = experiment.strip()
        if parameters is None:
            parameters = {}
        if not isinstance(parameters, dict):
            raise ValidationError(
                "parameters must be an object of pipeline parameter names to values.",
                hint='For example {"parameters": {"trees": 40}}.',
            )
        doc = self.document(data, path)
        declared = {p.get("name") for p in doc.parameters}
        unknown = sorted(set(parameters) - declared)
        if unknown:
            raise ValidationError(
                f"The pipeline declares no parameter {unknown[0]!r}.",
                hint=f"Its parameters are: {', '.join(sorted(map(str, declared))) or 'none'}.",
            )
        compiled = compile_document(doc, ComponentLibrary(doc.folder))
        pipeline = compiled.pipeline(self._ws, description=doc.data.get("description") or None)
        tags = {NODES_TAG: json.dumps(compiled.step_of_node)}
        if path:
            tags[DOCUMENT_TAG] = path
        run = Experiment(self._ws, experiment).submit(
            pipeline, tags=tags, pipeline_parameters=parameters or None
        )
        return {"runId": run.id, "experimentName": experiment, "nodes": compiled.step_of_node}

    # ---- runs ------------------------------------------------------------------------------
    def nodes(self, run_id: str) -> dict[str, Any]:
        """The run's status and, per node id, its step's status and step run id (``None``
        until the step has started)."""
        run = Run.get(self._ws, run_id)
        tags = run.get_tags()
        raw = tags.get(NODES_TAG)
        if raw is None:
            raise ValidationError(
                f"Run {run_id} was not submitted from the designer.",
                hint="Open it in the run view instead.",
                run_id=run_id,
            )
        step_of_node: dict[str, str] = json.loads(raw)
        steps = {}
        get_steps = getattr(run, "get_steps", None)
        if get_steps is not None:
            for step in get_steps():
                steps[step.step_name] = step
        found: dict[str, Any] = {}
        for node_id, step_name in step_of_node.items():
            step = steps.get(step_name)
            found[node_id] = {
                "stepName": step_name,
                "status": step._record.status if step is not None else "NotStarted",
                "stepRunId": step.id if step is not None else None,
                "reusedRunId": step.reused_run_id if step is not None else None,
            }
        record = run._record
        return json_safe(
            {
                "runId": run.id,
                "experimentName": run.experiment.name,
                "status": record.status,
                "document": tags.get(DOCUMENT_TAG),
                "nodes": found,
            }
        )


def _port_types() -> dict[str, str]:
    from jupyter_mlstudio.designer.components import PORT_TYPES

    return dict(PORT_TYPES)
