"""The designer canvas' service: its component palette, validation of the document being
edited, submitting it as a pipeline run, and the step status of each node of a run.

Documents arrive as JSON (the canvas' unsaved state) with the path of their ``.mlpipeline``
file relative to the server's root folder; relative component and data paths are resolved
from that file's folder, which must lie inside the root.
"""

from __future__ import annotations

import io
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

__all__ = ["NODES_TAG", "DOCUMENT_TAG", "SUBMITTED_FILE", "DesignerService"]

#: Tag of a designer run: JSON of node id -> step name (the run's steps are named, not ids).
NODES_TAG = "mlstudio.designer.nodes"
#: Tag of a designer run: the document's path relative to the server root.
DOCUMENT_TAG = "mlstudio.designer.document"
#: Run file of a designer run: the document as submitted (the file may change afterwards).
SUBMITTED_FILE = "designer/submitted.mlpipeline"
#: Rows of a DataFrame output shown in a node's preview.
PREVIEW_ROWS = 100
_IMAGE = re.compile(r"\.(png|jpe?g|gif|svg)$", re.IGNORECASE)
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
        # Kept with the run: cloning it or making its inference pipeline later must see the
        # graph that ran, not the file as edited since.
        run.upload_file(SUBMITTED_FILE, io.BytesIO(doc.to_json().encode()))
        return {"runId": run.id, "experimentName": experiment, "nodes": compiled.step_of_node}

    # ---- runs ------------------------------------------------------------------------------
    def latest_run(self, path: str) -> dict[str, Any]:
        """``{"run": ...}``: the newest run submitted from the document at ``path`` (as
        :meth:`nodes` answers it), or ``None`` when it was never submitted; so a reopened
        canvas shows its last run again."""
        from jupyter_mlstudio.store import RunsFilter

        found = self._ws._store.tracking.search_runs(
            RunsFilter(tags={DOCUMENT_TAG: path}, top_level_only=True), limit=1
        )
        return {"run": self.nodes(found[0].run_id) if found else None}

    def _designer_run(self, run_id: str) -> tuple[Any, dict[str, str], dict[str, str]]:
        """The run, its tags and its node id -> step name map; refuses other runs."""
        run = Run.get(self._ws, run_id)
        tags = run.get_tags()
        raw = tags.get(NODES_TAG)
        if raw is None:
            raise ValidationError(
                f"Run {run_id} was not submitted from the designer.",
                hint="Open it in the run view instead.",
                run_id=run_id,
            )
        return run, tags, json.loads(raw)

    def nodes(self, run_id: str) -> dict[str, Any]:
        """The run's status and, per node id, its step's status and step run id (``None``
        until the step has started)."""
        run, tags, step_of_node = self._designer_run(run_id)
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

    def node_outputs(self, run_id: str, node_id: str, rows: int = PREVIEW_ROWS) -> dict[str, Any]:
        """What node ``node_id`` of designer run ``run_id`` produced, to look at: each output
        port (a DataFrame's first ``rows`` rows and its profile, a Metrics port's values,
        other ports' files), the step's logged metrics and its images (Evaluate Model's
        ROC and precision-recall curves, confusion matrix, residuals).

        Images are named by the run that holds them (``imagesRunId``: the earlier run when
        the step was reused) and their path, for the run artifact route."""
        run, _, step_of_node = self._designer_run(run_id)
        if node_id not in step_of_node:
            raise ValidationError(
                f"Run {run_id} has no node {node_id!r}.",
                hint=f"Its nodes are: {', '.join(sorted(step_of_node))}.",
                run_id=run_id,
            )
        step_name = step_of_node[node_id]
        step = next((s for s in run.get_steps() if s.step_name == step_name), None)
        if step is None:
            raise ValidationError(
                f"The step of node {node_id!r} ({step_name}) has not started yet.",
                hint="Look again when the node shows a status.",
                run_id=run_id,
            )
        from jupyter_mlstudio.designer.compiler import data_name

        declared = list((step._record.definition.get("step") or {}).get("outputs", []))
        prefix = data_name(node_id, "")
        ports = []
        for output in declared:
            port = output[len(prefix) :] if output.startswith(prefix) else output
            ports.append(self._port_output(step, output, port, rows))
        origin = Run.get(self._ws, step.reused_run_id) if step.reused_run_id else step
        metrics = {
            key: value
            for key, value in origin.get_metrics().items()
            if isinstance(value, int | float | str | bool)
        }
        images = [name for name in origin.get_file_names() if _IMAGE.search(name)]
        return json_safe(
            {
                "runId": run.id,
                "node": node_id,
                "stepName": step_name,
                "stepRunId": step.id,
                "status": step._record.status,
                "reusedRunId": step.reused_run_id,
                "ports": ports,
                "metrics": metrics,
                "images": sorted(images),
                "imagesRunId": origin.id,
            }
        )

    def _port_output(self, step: Any, output: str, port: str, rows: int) -> dict[str, Any]:
        import pyarrow.parquet as pq

        from jupyter_mlstudio.data.profile import profile_table
        from jupyter_mlstudio.designer.runtime import METRICS, TABLE

        ref = step.get_output_data(output)
        files = sorted(ref.files())
        entry: dict[str, Any] = {"name": port, "files": files, "type": "AnyFile"}
        store = self._ws._artifacts
        if TABLE in files:
            with store.open(f"{ref.path_on_datastore}/{TABLE}") as fh:
                table = pq.read_table(fh)
            head = table.slice(0, max(0, rows)).to_pandas()
            entry.update(
                type="DataFrame",
                rowCount=table.num_rows,
                columns=[str(c) for c in table.column_names],
                rows=json.loads(head.to_json(orient="values", date_format="iso")),
                profile=profile_table(table),
            )
        elif METRICS in files:
            raw = store.read_bytes(f"{ref.path_on_datastore}/{METRICS}")
            entry.update(type="Metrics", metrics=_flat(json.loads(raw)))
        elif files:
            entry["type"] = {"model.joblib": "Model", "transform.joblib": "Transform"}.get(
                files[0], "AnyFile"
            )
        return entry

    def _submitted(self, run: Any, tags: dict[str, str]) -> PipelineDocument:
        """The document the run ran, placed where it was submitted from (so its relative
        component and data paths resolve): the copy kept with the run, else the file."""
        where = tags.get(DOCUMENT_TAG)
        path = self.resolve(where) if where else self.root / "untitled.mlpipeline"
        if SUBMITTED_FILE in run.get_file_names():
            return PipelineDocument(json.loads(run._files.read_text(SUBMITTED_FILE)), path)
        if where and path.is_file():
            return PipelineDocument.load(path)
        raise ValidationError(
            f"The document of run {run.id} is gone: it was not kept with the run and "
            f"{where or 'its file'} does not exist.",
            hint="Open the run in the run view instead.",
            run_id=run.id,
        )

    def _free_path(self, folder: Path, stem: str) -> Path:
        """``folder/stem.mlpipeline``, or with ``-2``, ``-3``... when taken: never overwrite."""
        target = folder / f"{stem}.mlpipeline"
        n = 2
        while target.exists():
            target = folder / f"{stem}-{n}.mlpipeline"
            n += 1
        return target

    def _relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.root).as_posix()

    def clone(self, run_id: str) -> dict[str, Any]:
        """A new draft of the document run ``run_id`` ran, its pipeline parameters' defaults
        set to the values that run used, saved beside the original as
        ``<name>-<run id>.mlpipeline``; returns its path relative to the root."""
        run, tags, _ = self._designer_run(run_id)
        doc = self._submitted(run, tags)
        values = dict(run._record.definition.get("parameters") or {})
        clone = PipelineDocument(doc.data, doc.path)
        for param in clone.parameters:
            if param.get("name") in values:
                param["default"] = values[param["name"]]
        clone.data["name"] = f"{doc.name} (clone of {run.id})"
        clone.data["description"] = (
            f"Cloned from run {run.id} ({run.experiment.name}). "
            + (doc.data.get("description") or "")
        ).strip()
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{_stem(doc)}-{run.id}").strip("-")
        target = clone.save(self._free_path(clone.folder, stem))
        return {"path": self._relative(target), "name": clone.name, "parameters": values}

    def inference(self, run_id: str, model_name: Any = None) -> dict[str, Any]:
        """ "Create inference pipeline": from Completed designer run ``run_id``, a new
        document scoring request rows with what the run trained (its models registered as
        ``model_name``), saved beside the training document; returns its path."""
        from jupyter_mlstudio.designer import create_inference_pipeline

        if model_name is not None and (
            not isinstance(model_name, str) or not _EXPERIMENT.fullmatch(model_name)
        ):
            raise ValidationError(
                f"{model_name!r} is not a model name.",
                hint="Use letters, digits, '-', '_' and '.', starting with a letter or digit.",
            )
        run, tags, _ = self._designer_run(run_id)
        doc = self._submitted(run, tags)
        target = self._free_path(doc.folder, f"{_stem(doc)}-inference")
        made = create_inference_pipeline(doc, run, path=target, model_name=model_name)
        models = sorted(
            {
                f"{n['parameters']['model_name']}:{n['parameters']['model_version']}"
                for n in made.nodes
                if "model_name" in (n.get("parameters") or {})
            }
        )
        return {"path": self._relative(target), "name": made.name, "models": models}

    def deploy(self, path: Any, endpoint: Any, overwrite: Any = False) -> dict[str, Any]:
        """Serve the inference document at ``path`` (relative to the root) as the local
        real-time endpoint ``endpoint``; answers once it has started (``state``
        ``Transitioning`` until healthy, as the endpoints route then reports)."""
        from jupyter_mlstudio.core.webservice import LocalWebservice
        from jupyter_mlstudio.designer import deploy_inference_pipeline

        if not isinstance(path, str) or not path:
            raise ValidationError(
                "path must be the inference document's path relative to the server's folder."
            )
        if not isinstance(endpoint, str) or not endpoint.strip():
            raise ValidationError(
                "endpoint must name the endpoint to create.",
                hint='For example {"endpoint": "income-scoring"}.',
            )
        doc = PipelineDocument.load(self.resolve(path))
        service = deploy_inference_pipeline(
            self._ws,
            doc,
            endpoint.strip(),
            LocalWebservice.deploy_configuration(),
            overwrite=bool(overwrite),
        )
        return json_safe(
            {
                "name": service.name,
                "state": service.state,
                "scoringUri": service.scoring_uri,
                "document": path,
            }
        )

    def publish(self, path: Any, name: Any, description: Any = None) -> dict[str, Any]:
        """Publish the document at ``path`` (relative to the root) as a pipeline that runs
        by id or over REST later (a batch pipeline, as Azure's designer publishes one);
        returns ``{id, name, version, endpoint, document}``."""
        if not isinstance(path, str) or not path:
            raise ValidationError(
                "path must be the document's path relative to the server's folder."
            )
        if not isinstance(name, str) or not _EXPERIMENT.fullmatch(name.strip()):
            raise ValidationError(
                f"{name!r} is not a name for a published pipeline.",
                hint="Use letters, digits, '-', '_' and '.', starting with a letter or digit.",
            )
        if description is not None and not isinstance(description, str):
            raise ValidationError("description must be text.")
        doc = PipelineDocument.load(self.resolve(path))
        compiled = compile_document(doc, ComponentLibrary(doc.folder))
        text = description or doc.data.get("description") or None
        published = compiled.pipeline(self._ws, description=text).publish(
            name=name.strip(), description=text
        )
        return json_safe(
            {
                "id": published.id,
                "name": published.name,
                "version": published.version,
                "endpoint": published.endpoint,
                "document": path,
            }
        )


def _flat(metrics: Any, prefix: str = "") -> dict[str, Any]:
    """Nested metrics as one table: ``{"metrics": {"AUC": 0.9}, "compared": {"AUC": 0.8}}``
    becomes ``{"AUC": 0.9, "compared / AUC": 0.8}`` (Evaluate Model's own set unprefixed)."""
    if not isinstance(metrics, dict):
        return {prefix or "value": metrics}
    out: dict[str, Any] = {}
    for key, value in metrics.items():
        name = "" if not prefix and key == "metrics" else f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, f"{name} / " if name else ""))
        else:
            out[name or "metrics"] = value
    return out


def _stem(doc: PipelineDocument) -> str:
    return doc.path.stem if doc.path is not None and doc.path.stem != "untitled" else doc.name


def _port_types() -> dict[str, str]:
    from jupyter_mlstudio.designer.components import PORT_TYPES

    return dict(PORT_TYPES)
