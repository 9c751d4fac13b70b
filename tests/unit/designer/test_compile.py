"""Compiling documents to pipelines of notebook steps (no store, nothing run)."""

from __future__ import annotations

import pytest

from jupyter_mlstudio.designer import ComponentLibrary, builtin_components, compile_document
from jupyter_mlstudio.designer.library import BUILTIN_FOLDER
from jupyter_mlstudio.pipeline.core import Pipeline, PipelineData, PipelineParameter
from jupyter_mlstudio.pipeline.core.graph import PipelineValidationError, step_order


def twenty_nodes(doc):
    """A 20-node pipeline: two data sources, preparation, three models trained, scored
    and evaluated, a comparison and a SQL summary of which a column is selected."""
    a = doc.add_node("builtin:import_data", parameters={"path": "people.csv"})
    b = doc.add_node("builtin:enter_data_manually", parameters={"data": "id,group\n1,a\n2,b\n"})
    join = doc.add_node("builtin:join_data", parameters={"left_keys": "id", "right_keys": "id"})
    clean = doc.add_node("builtin:clean_missing_data")
    norm = doc.add_node("builtin:normalize_data", parameters={"columns": "age,hours"})
    dedup = doc.add_node("builtin:remove_duplicate_rows")
    split = doc.add_node("builtin:split_data", parameters={"fraction": {"pipelineParameter": "f"}})
    doc.add_parameter("f", 0.8)
    doc.connect(a, "results_dataset", join, "left")
    doc.connect(b, "results_dataset", join, "right")
    doc.connect(join, "results_dataset", clean, "input_dataset")
    doc.connect(clean, "cleaned_dataset", norm, "input_dataset")
    doc.connect(norm, "transformed_dataset", dedup, "input_dataset")
    doc.connect(dedup, "results_dataset", split, "input_dataset")
    scores = []
    for learner in (
        "builtin:two_class_logistic_regression",
        "builtin:two_class_boosted_decision_tree",
        "builtin:multiclass_decision_forest",
    ):
        algo = doc.add_node(learner)
        train = doc.add_node("builtin:train_model", parameters={"label_column": "label"})
        score = doc.add_node("builtin:score_model")
        doc.connect(algo, "untrained_model", train, "untrained_model")
        doc.connect(split, "results1", train, "input_dataset")
        doc.connect(train, "trained_model", score, "trained_model")
        doc.connect(split, "results2", score, "input_dataset")
        scores.append(score)
    ev1 = doc.add_node("builtin:evaluate_model")
    ev2 = doc.add_node("builtin:evaluate_model")
    sql = doc.add_node(
        "builtin:apply_sql_transformation",
        parameters={"sql": "select count(*) as n from t1"},
    )
    doc.connect(scores[0], "scored_dataset", ev1, "scored_dataset")
    doc.connect(scores[1], "scored_dataset", ev1, "scored_dataset_to_compare")
    doc.connect(scores[2], "scored_dataset", ev2, "scored_dataset")
    doc.connect(scores[2], "scored_dataset", sql, "t1")
    sel = doc.add_node("builtin:select_columns", parameters={"columns": "n"})
    doc.connect(sql, "results_dataset", sel, "input_dataset")
    return doc


def test_a_twenty_node_document_compiles_to_a_valid_pipeline(doc, people):
    twenty_nodes(doc)
    assert len(doc.nodes) == 20
    assert doc.validate() == []
    compiled = compile_document(doc)
    assert len(compiled.steps) == 20
    pipeline = Pipeline(None, compiled.steps)
    assert [d for d in pipeline.diagnostics() if d.severity == "error"] == []
    graph = pipeline.graph
    assert graph["parameters"] == {"f": {"default": 0.8, "type": "float"}}
    assert len(step_order(graph)) == 20
    names = [s.name for s in compiled.steps]
    assert len(set(names)) == 20  # duplicates made unique with their node id
    assert "Train Model [n9]" in names and "Import Data" in names
    for step in compiled.steps:
        assert step.source_directory == str(BUILTIN_FOLDER)
        assert (BUILTIN_FOLDER / step.notebook).is_file()


def test_ports_become_pipeline_data_and_bound_values_pipeline_parameters(doc, tmp_path):
    twenty_nodes(doc)
    compiled = compile_document(doc)
    by_node = {
        nid: next(s for s in compiled.steps if s.name == name)
        for nid, name in compiled.step_of_node.items()
    }
    importer, split, join = by_node["n1"], by_node["n7"], by_node["n3"]
    assert importer.parameters["path"] == str(tmp_path / "people.csv")  # resolved from the document
    assert isinstance(split.parameters["fraction"], PipelineParameter)
    out = importer.parameters["results_dataset"]
    assert isinstance(out, PipelineData) and out.name == "n1_results_dataset"
    assert join.parameters["left"] is out and out in join.inputs
    assert compiled.data_of_port[("n1", "results_dataset")] == "n1_results_dataset"
    evaluate = next(
        s
        for s in compiled.steps
        if s.name.startswith("Evaluate Model") and s.parameters["scored_dataset_to_compare"] is None
    )
    assert evaluate.parameters["scored_dataset"] is not None


def test_a_document_with_errors_does_not_compile(doc):
    doc.add_node("builtin:train_model", node_id="t", parameters={"label_column": "y"})
    with pytest.raises(PipelineValidationError) as info:
        compile_document(doc)
    assert "node 't', port 'input_dataset'" in str(info.value)
    assert len(info.value.diagnostics) == 2


def test_pipeline_load_reads_a_saved_document_in_its_workspace(local_ws, doc, people):
    twenty_nodes(doc)
    doc.save()
    pipeline = Pipeline.load(str(doc.path))  # the workspace is found from the document's folder
    assert pipeline._workspace.name == local_ws.name
    assert len(pipeline.graph["steps"]) == 20


def _import_step(doc, **params):
    doc.data["nodes"] = []
    doc.add_node("builtin:import_data", parameters=params)
    return compile_document(doc).steps[0]


def test_a_changed_input_file_changes_the_step_so_it_is_not_reused(doc, tmp_path):
    import os

    (tmp_path / "d.csv").write_text("a\n1\n")
    first = _import_step(doc, path="d.csv")
    again = _import_step(doc, path="d.csv")
    stamp = first.parameters["mlstudio_source_stamp"]
    assert first.allow_reuse and again.parameters["mlstudio_source_stamp"] == stamp
    (tmp_path / "d.csv").write_text("a\n1\n2\n")
    os.utime(tmp_path / "d.csv", ns=(1, 2))
    changed = _import_step(doc, path="d.csv")
    assert changed.parameters["mlstudio_source_stamp"] != first.parameters["mlstudio_source_stamp"]


def test_sources_that_change_unseen_are_never_reused(doc):
    url = _import_step(doc, source="url", url="http://127.0.0.1:9/x.csv")
    latest = _import_step(doc, source="registered_dataset", dataset_name="d")
    pinned = _import_step(doc, source="registered_dataset", dataset_name="d", dataset_version="3")
    assert not url.allow_reuse and not latest.allow_reuse and pinned.allow_reuse
    again = _import_step(doc, source="url", url="http://127.0.0.1:9/x.csv")
    assert again.parameters["mlstudio_source_stamp"] != url.parameters["mlstudio_source_stamp"]
    assert "mlstudio_source_stamp" not in pinned.parameters


_PRODUCER = {
    "DataFrame": ("builtin:enter_data_manually", "results_dataset"),
    "UntrainedModel": ("builtin:two_class_logistic_regression", "untrained_model"),
    "Model": ("builtin:trained_model", "trained_model"),
    "Transform": ("builtin:saved_transformation", "transformation"),
}


@pytest.mark.parametrize("comp", builtin_components(), ids=lambda c: c.id)
def test_each_builtin_validates_and_compiles_with_its_inputs_connected(doc, comp):
    def required(c):
        return {p.name: "x" for p in c.parameters if p.default is None and not p.optional}

    nid = doc.add_node(comp.ref, parameters=required(comp))
    library = ComponentLibrary(doc.folder)
    for port in comp.inputs:
        ref, out = _PRODUCER[port.type]
        source = doc.add_node(ref, parameters=required(library.get(ref)))
        doc.connect(source, out, nid, port.name)
    assert doc.validate() == []
    compiled = compile_document(doc)
    step = next(s for s in compiled.steps if s.name == comp.name)
    assert step.notebook == comp.notebook.name
    for port in comp.outputs:
        assert step.parameters[port.name].name == f"{nid}_{port.name}"
    errors = [d for d in Pipeline(None, compiled.steps).diagnostics() if d.severity == "error"]
    assert errors == []
