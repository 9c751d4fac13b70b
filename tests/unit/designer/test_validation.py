"""Validation: every problem attached to its node, port or parameter, JSON-able."""

from __future__ import annotations

import json

from jupyter_mlstudio.designer import PipelineDocument, validate


def _codes(doc: PipelineDocument) -> list[tuple[str, str | None, str | None, str | None]]:
    return sorted((p["code"], p["node"], p["port"], p["parameter"]) for p in doc.validate())


def test_a_correct_pipeline_has_no_problem(doc):
    a = doc.add_node("builtin:enter_data_manually")
    b = doc.add_node("builtin:select_columns", parameters={"columns": "a"})
    doc.connect(a, "results_dataset", b, "input_dataset")
    assert doc.validate() == []


def test_an_unconnected_required_input_names_its_port(doc):
    doc.add_node("builtin:train_model", node_id="train", parameters={"label_column": "y"})
    assert _codes(doc) == [
        ("required_input", "train", "input_dataset", None),
        ("required_input", "train", "untrained_model", None),
    ]
    message = next(p["message"] for p in doc.validate() if p["port"] == "input_dataset")
    assert "not connected" in message and "(DataFrame)" in message


def test_optional_inputs_may_stay_unconnected(doc):
    a = doc.add_node("builtin:enter_data_manually")
    b = doc.add_node("builtin:apply_sql_transformation")
    doc.connect(a, "results_dataset", b, "t1")
    assert doc.validate() == []


def test_port_type_mismatch(doc):
    learner = doc.add_node("builtin:two_class_logistic_regression", node_id="lr")
    clean = doc.add_node("builtin:clean_missing_data", node_id="clean")
    doc.connect(learner, "untrained_model", clean, "input_dataset")
    problems = doc.validate()
    assert [(p["code"], p["node"], p["port"]) for p in problems] == [
        ("port_type", "clean", "input_dataset")
    ]
    assert "takes DataFrame" in problems[0]["message"]
    assert "UntrainedModel" in problems[0]["message"]
    assert problems[0]["edge"]


def test_unknown_ports_and_inputs_connected_twice(doc):
    a = doc.add_node("builtin:enter_data_manually", node_id="a")
    b = doc.add_node("builtin:enter_data_manually", node_id="b")
    c = doc.add_node("builtin:remove_duplicate_rows", node_id="c")
    doc.connect(a, "results_dataset", c, "input_dataset")
    doc.connect(b, "results_dataset", c, "input_dataset")
    doc.connect(a, "nope", c, "other")
    found = _codes(doc)
    assert ("input_connected_twice", "c", "input_dataset", None) in found
    assert ("unknown_port", "a", "nope", None) in found
    assert ("unknown_port", "c", "other", None) in found


def test_cycles_mark_every_node_on_them(doc):
    a = doc.add_node("builtin:remove_duplicate_rows", node_id="a")
    b = doc.add_node("builtin:select_columns", node_id="b")
    doc.connect(a, "results_dataset", b, "input_dataset")
    doc.connect(b, "selected_dataset", a, "input_dataset")
    cycles = [p for p in doc.validate() if p["code"] == "cycle"]
    assert sorted(p["node"] for p in cycles) == ["a", "b"]
    assert "->" in cycles[0]["message"]


def test_parameters_unknown_mistyped_out_of_range_and_not_a_choice(doc):
    doc.add_node(
        "builtin:split_data",
        node_id="split",
        parameters={"fraction": 1.5, "seed": "one", "colour": "red"},
    )
    doc.add_node("builtin:select_columns", node_id="sel", parameters={"mode": "both"})
    found = [(p["code"], p["node"], p["parameter"]) for p in doc.validate() if p["parameter"]]
    assert sorted(found) == [
        ("parameter_value", "sel", "mode"),
        ("parameter_value", "split", "fraction"),
        ("parameter_value", "split", "seed"),
        ("unknown_parameter", "split", "colour"),
    ]
    messages = {p["parameter"]: p["message"] for p in doc.validate() if p["parameter"]}
    assert "above its maximum 1.0" in messages["fraction"]
    assert "takes an int" in messages["seed"]
    assert "not one of its choices" in messages["mode"]
    assert "its parameters are" in messages["colour"]


def test_a_required_parameter_without_default_must_be_set(doc):
    doc.add_node("builtin:trained_model", node_id="m", parameters={"artifact": "x"})
    assert ("parameter_missing", "m", None, "model_name") in _codes(doc)


def test_pipeline_parameters_are_checked_where_they_are_bound(doc):
    doc.add_parameter("frac", "high")
    doc.add_node(
        "builtin:split_data",
        node_id="split",
        parameters={
            "fraction": {"pipelineParameter": "frac"},
            "seed": {"pipelineParameter": "nope"},
        },
    )
    found = [(p["code"], p["parameter"]) for p in doc.validate() if p["parameter"]]
    assert sorted(found) == [
        ("parameter_value", "fraction"),
        ("unknown_pipeline_parameter", "seed"),
    ]


def test_unknown_components_and_duplicate_ids(doc, tmp_path):
    doc.add_node("builtin:no_such_thing", node_id="x")
    doc.add_node("file:missing.ipynb", node_id="z")
    doc.add_node("builtin:enter_data_manually", node_id="y")
    doc.add_node("builtin:enter_data_manually", node_id="y")
    found = _codes(doc)
    assert ("unknown_component", "x", None, None) in found
    assert ("unknown_component", "z", None, None) in found
    assert ("duplicate_id", "y", None, None) in found
    message = next(p["message"] for p in doc.validate() if p["node"] == "x")
    assert "Built-in components are:" in message and "split_data" in message


def test_problems_are_plain_json_and_readable():
    doc = PipelineDocument.new()
    doc.add_node("builtin:score_model", node_id="s")
    problems = validate(doc)
    assert json.loads(json.dumps([p.to_dict() for p in problems]))
    assert str(problems[0]).startswith("node 's', port ")
    assert doc.validate()[0]["severity"] == "error"


def test_an_empty_pipeline_is_an_error():
    assert [p["code"] for p in PipelineDocument.new().validate()] == ["empty"]
