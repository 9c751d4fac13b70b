""" "Create inference pipeline": a training document and its finished run become a new
document that scores request rows with what the run trained.

Each component's ``inference`` role (in its metadata) says what becomes of its node:

============  ===================================================================
``trainer``   replaced by a *Trained Model* node holding the model the run trained
``transform`` replaced by *Apply Transformation*, fed the transformation the run fitted
``passthrough`` removed; its input flows on to its outputs' consumers (Split Data)
``evaluator`` removed (Evaluate Model, Cross Validate Model)
``scorer``    a *Web Service Output* is added after it (Score Model)
``keep``      kept as it is
============  ===================================================================

Nodes no longer leading to a Web Service Output are dropped, and a *Web Service Input* is
put after each remaining data source, where the request rows come in. What the run trained
and fitted is registered as one model (a folder of artifacts by node and port), which the
new nodes name; deploying the document serves that model.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.designer.compiler import data_name, step_names
from jupyter_mlstudio.designer.document import PipelineDocument
from jupyter_mlstudio.designer.library import ComponentLibrary
from jupyter_mlstudio.errors import ValidationError

if TYPE_CHECKING:
    from jupyter_mlstudio.core.model import Model
    from jupyter_mlstudio.pipeline.core.run import PipelineRun

__all__ = ["SavedArtifact", "create_inference_pipeline", "inference_document"]

ARTIFACTS = "artifacts"


@dataclass(frozen=True)
class SavedArtifact:
    """An output a training run wrote that the inference pipeline reads: node ``node`` (a
    Trained Model or Saved Transformation) loads what ``source``'s port ``port`` (its step
    ``step``) wrote."""

    node: str
    source: str
    port: str
    step: str


def inference_document(
    document: PipelineDocument, library: ComponentLibrary | None = None
) -> tuple[PipelineDocument, list[SavedArtifact]]:
    """The inference graph of a training document, and the artifacts it needs from a run.

    A pure rewrite of the document (see the module docstring); nothing is read from a run
    or registered. The saved nodes' ``model_name`` and ``model_version`` are left unset.
    """
    doc = document
    library = library or ComponentLibrary(doc.folder)
    names = step_names(doc, library)
    out = PipelineDocument(copy.deepcopy(doc.data))
    out.data["name"] = f"{doc.name}-inference"
    out.data["description"] = f"Real-time inference pipeline of {doc.name}."
    comps = {n["id"]: library.get(n["component"]["ref"]) for n in doc.nodes}
    artifacts: list[SavedArtifact] = []

    def edges_from(nid: str, port: str | None = None) -> list[dict[str, Any]]:
        return [
            e
            for e in out.edges
            if e["source"]["node"] == nid and (port is None or e["source"]["port"] == port)
        ]

    def drop_edges(pred: Any) -> None:
        out.data["edges"] = [e for e in out.edges if not pred(e)]

    for node in list(doc.nodes):
        nid, comp = node["id"], comps[node["id"]]
        role = comp.inference
        if role == "trainer":
            port = next((p for p in comp.outputs if p.type == "Model"), None)
            if port is None:
                continue
            artifacts.append(SavedArtifact(nid, nid, port.name, names[nid]))
            drop_edges(lambda e, nid=nid: e["target"]["node"] == nid)
            drop_edges(
                lambda e, nid=nid, p=port.name: (
                    e["source"]["node"] == nid and e["source"]["port"] != p
                )
            )
            for edge in edges_from(nid, port.name):
                edge["source"]["port"] = "trained_model"
            _replace(
                out, nid, "builtin:trained_model", {"artifact": f"{nid}/{port.name}"}, names[nid]
            )
        elif role == "transform":
            tport = next((p for p in comp.outputs if p.type == "Transform"), None)
            dport = next((p for p in comp.outputs if p.type == "DataFrame"), None)
            dinput = next((p for p in comp.inputs if p.type == "DataFrame"), None)
            if tport is None or dport is None or dinput is None:
                continue
            saved = f"{nid}_saved"
            artifacts.append(SavedArtifact(saved, nid, tport.name, names[nid]))
            pos = node.get("position", {"x": 0, "y": 0})
            out.add_node(
                "builtin:saved_transformation",
                node_id=saved,
                name=f"{names[nid]} (saved)",
                parameters={"artifact": f"{nid}/{tport.name}"},
                position=(pos["x"] - 220, pos["y"]),
            )
            for edge in edges_from(nid, tport.name):
                edge["source"] = {"node": saved, "port": "transformation"}
            for edge in edges_from(nid, dport.name):
                edge["source"]["port"] = "transformed_dataset"
            for edge in out.edges:
                if edge["target"]["node"] == nid and edge["target"]["port"] == dinput.name:
                    edge["target"]["port"] = "input_dataset"
            _replace(out, nid, "builtin:apply_transformation", {}, f"Apply {names[nid]}")
            out.connect(saved, "transformation", nid, "transformation")
        elif role == "passthrough":
            dinput = next((p for p in comp.inputs if p.type == "DataFrame"), None)
            feed = next(
                (
                    e["source"]
                    for e in out.edges
                    if dinput and e["target"] == {"node": nid, "port": dinput.name}
                ),
                None,
            )
            for edge in edges_from(nid):
                if feed is not None and comp.output(edge["source"]["port"]).type == "DataFrame":
                    edge["source"] = dict(feed)
            out.remove_node(nid)
        elif role == "evaluator":
            out.remove_node(nid)
    for node in list(doc.nodes):
        if comps[node["id"]].inference == "scorer" and any(
            n["id"] == node["id"] for n in out.nodes
        ):
            port = next(p for p in comps[node["id"]].outputs if p.type == "DataFrame")
            drop_edges(lambda e, nid=node["id"]: e["source"]["node"] == nid)
            pos = node.get("position", {"x": 0, "y": 0})
            wso = out.add_node(
                "builtin:web_service_output",
                node_id=f"{node['id']}_output",
                parameters={"name": f"WebServiceOutput{_count(out, 'web_service_output')}"},
                position=(pos["x"], pos["y"] + 140),
            )
            out.connect(node["id"], port.name, wso, "input_dataset")
    outputs = [n["id"] for n in out.nodes if n["component"]["ref"] == "builtin:web_service_output"]
    if not outputs:
        raise ValidationError(
            f"The pipeline {doc.name!r} has no Score Model (or other scorer) whose scores an "
            "endpoint could return.",
            hint="Add a Score Model fed by the trained model and the data to score.",
        )
    _prune(out, outputs)
    _add_web_inputs(out, library)
    kept = {n["id"] for n in out.nodes}
    return out, [a for a in artifacts if a.node in kept]


def create_inference_pipeline(
    document: PipelineDocument | str | Path,
    run: PipelineRun,
    path: str | Path | None = None,
    model_name: str | None = None,
) -> PipelineDocument:
    """The real-time inference pipeline of ``document`` as trained by ``run``.

    Parameters
    ----------
    document : PipelineDocument or path
        The training pipeline ``run`` ran.
    run : PipelineRun
        A Completed run of it; the trained models and fitted transformations the inference
        graph uses are registered as one model, ``model_name`` (default
        ``<pipeline name>-inference``), a new version each time.
    path : path, optional
        Where to save the new document (default: ``<name>-inference.mlpipeline`` beside the
        training document).

    Returns
    -------
    PipelineDocument
        The saved inference document; deploy it with
        :func:`~jupyter_mlstudio.designer.deploy.deploy_inference_pipeline`.
    """
    doc = document if isinstance(document, PipelineDocument) else PipelineDocument.load(document)
    library = ComponentLibrary(doc.folder)
    status = run.get_status()
    if status != "Completed":
        raise ValidationError(
            f"Run {run.id} is {status}; an inference pipeline needs a Completed training run.",
            hint="Wait for it (run.wait_for_completion()) or pick a completed run.",
            run_id=run.id,
        )
    out, artifacts = inference_document(doc, library)
    out.data["description"] = f"Real-time inference pipeline of {doc.name} (run {run.id})."
    model = _register(run, artifacts, model_name or f"{_safe(doc.name)}-inference", doc.name)
    for artifact in artifacts:
        params = out.node(artifact.node)["parameters"]
        params["model_name"], params["model_version"] = model.name, model.version
    target = (
        Path(path) if path is not None else doc.folder / f"{_safe(doc.name)}-inference.mlpipeline"
    )
    _rebase_files(out, library, doc.folder, target.parent.resolve())
    out.save(target)
    return out


def _safe(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "pipeline"


def _count(doc: PipelineDocument, component: str) -> int:
    return sum(n["component"]["ref"] == f"builtin:{component}" for n in doc.nodes)


def _replace(doc: PipelineDocument, nid: str, ref: str, params: dict[str, Any], name: str) -> None:
    node = doc.node(nid)
    node["component"] = {"ref": ref}
    node["parameters"] = dict(params)
    node["name"] = name


def _prune(doc: PipelineDocument, outputs: list[str]) -> None:
    """Keep only the nodes some Web Service Output needs."""
    needed = set(outputs)
    changed = True
    while changed:
        changed = False
        for edge in doc.edges:
            if edge["target"]["node"] in needed and edge["source"]["node"] not in needed:
                needed.add(edge["source"]["node"])
                changed = True
    for node in list(doc.nodes):
        if node["id"] not in needed:
            doc.remove_node(node["id"])


def _add_web_inputs(doc: PipelineDocument, library: ComponentLibrary) -> None:
    """A Web Service Input after each data source (a node with no inputs giving a table)."""
    index = 0
    for node in list(doc.nodes):
        comp = library.get(node["component"]["ref"])
        if comp.inputs or comp.ref in ("builtin:trained_model", "builtin:saved_transformation"):
            continue
        for port in comp.outputs:
            if port.type != "DataFrame":
                continue
            consumers = [
                e for e in doc.edges if e["source"] == {"node": node["id"], "port": port.name}
            ]
            if not consumers:
                continue
            pos = node.get("position", {"x": 0, "y": 0})
            wsi = doc.add_node(
                "builtin:web_service_input",
                node_id=f"{node['id']}_input" + (f"_{port.name}" if len(comp.outputs) > 1 else ""),
                parameters={"name": f"WebServiceInput{index}"},
                position=(pos["x"] + 40, pos["y"] + 90),
            )
            index += 1
            for edge in consumers:
                edge["source"] = {"node": wsi, "port": "output"}
            doc.connect(node["id"], port.name, wsi, "input_dataset")


def _register(run: PipelineRun, artifacts: list[SavedArtifact], name: str, pipeline: str) -> Model:
    from jupyter_mlstudio.core.model import Model

    if not artifacts:
        raise ValidationError(
            f"The pipeline {pipeline!r} trains no model (it has no Train Model or other trainer).",
            hint="An inference pipeline scores with what a training run produced.",
        )
    with tempfile.TemporaryDirectory(prefix="designer-inference-") as tmp:
        root = Path(tmp) / ARTIFACTS
        for artifact in artifacts:
            nid, port, step = artifact.source, artifact.port, artifact.step
            found = run.find_step_run(step)
            if not found:
                raise ValidationError(
                    f"Run {run.id} has no step {step!r}; was it a run of this pipeline?",
                    hint="Pass the document the run was submitted from.",
                    run_id=run.id,
                )
            got = found[0].get_output_data(data_name(nid, port)).download(str(Path(tmp) / nid))
            (root / nid).mkdir(parents=True, exist_ok=True)
            shutil.move(got, root / nid / port)
        return Model.register(
            run.experiment.workspace,
            root,
            name,
            tags={"designer.pipeline": pipeline, "designer.run": run.id},
            description=f"Trained models and transformations of {pipeline} (run {run.id}).",
        )


def _rebase_files(doc: PipelineDocument, library: ComponentLibrary, old: Path, new: Path) -> None:
    """Keep ``file:`` components and relative paths pointing at the same files when the
    new document is saved in another folder."""
    if old.resolve() == new.resolve():
        return
    for node in doc.nodes:
        comp = library.get(node["component"]["ref"])
        ref = node["component"]["ref"]
        if ref.startswith("file:") and not Path(ref[5:]).is_absolute():
            node["component"]["ref"] = "file:" + os.path.relpath(old / ref[5:], new)
        for param in comp.parameters:
            value = (node.get("parameters") or {}).get(param.name)
            if (
                param.type == "path"
                and isinstance(value, str)
                and value
                and not Path(value).is_absolute()
            ):
                node["parameters"][param.name] = os.path.relpath(old / value, new)
