"""The .mlpipeline document: its schema, load and save, editing."""

from __future__ import annotations

import json

import jsonschema
import pytest

from jupyter_mlstudio.designer import FORMAT_VERSION, PipelineDocument
from jupyter_mlstudio.designer.document import SCHEMA_PATH, schema
from jupyter_mlstudio.errors import ValidationError


def test_the_schema_is_a_valid_versioned_json_schema():
    jsonschema.Draft7Validator.check_schema(schema())
    assert SCHEMA_PATH.is_file()
    assert schema()["properties"]["version"] == {"const": FORMAT_VERSION}


def test_save_and_load_round_trip(tmp_path):
    doc = PipelineDocument.new("demo")
    a = doc.add_node(
        "builtin:enter_data_manually",
        parameters={"data": "x,y\n1,2\n"},
        position=(10, 20),
        comment="typed in",
    )
    b = doc.add_node("builtin:remove_duplicate_rows", version="1")
    doc.connect(a, "results_dataset", b, "input_dataset")
    doc.add_parameter("rate", 0.5)
    path = doc.save(tmp_path / "sub" / "demo.mlpipeline")
    again = PipelineDocument.load(path)
    assert again.data == doc.data
    assert again.node(a)["position"] == {"x": 10, "y": 20}
    assert again.node(a)["comment"] == "typed in"
    assert [p["type"] for p in again.parameters] == ["float"]
    jsonschema.validate(json.loads(path.read_text()), schema())
    assert not list(path.parent.glob(".*tmp"))  # written atomically, nothing left behind


def test_removing_a_node_removes_its_edges(doc):
    a = doc.add_node("builtin:enter_data_manually")
    b = doc.add_node("builtin:remove_duplicate_rows")
    doc.connect(a, "results_dataset", b, "input_dataset")
    doc.remove_node(a)
    assert doc.edges == [] and [n["id"] for n in doc.nodes] == [b]


def test_bad_files_are_refused_clearly(tmp_path):
    with pytest.raises(ValidationError, match="no pipeline document"):
        PipelineDocument.load(tmp_path / "missing.mlpipeline")
    (tmp_path / "bad.mlpipeline").write_text("{not json")
    with pytest.raises(ValidationError, match="not valid JSON"):
        PipelineDocument.load(tmp_path / "bad.mlpipeline")
    newer = PipelineDocument.new().data | {"version": FORMAT_VERSION + 1}
    (tmp_path / "new.mlpipeline").write_text(json.dumps(newer))
    with pytest.raises(ValidationError, match="Upgrade jupyter_mlstudio"):
        PipelineDocument.load(tmp_path / "new.mlpipeline")


def test_a_shape_error_is_a_problem_on_its_node(doc):
    doc.add_node("builtin:enter_data_manually", node_id="bad id!")
    problems = doc.validate()
    assert problems and problems[0]["code"] == "schema"
    assert "nodes/0/id" in problems[0]["message"]
    assert problems[0]["node"] == "bad id!"
