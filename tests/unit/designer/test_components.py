"""Component interfaces: the built-in library's, and a plain notebook's parameters cell."""

from __future__ import annotations

import ast
import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_mlstudio.designer import (
    ComponentLibrary,
    builtin_components,
    component_from_notebook,
    write_interface,
)
from jupyter_mlstudio.designer.components import PORT_TYPES, parameters_cell
from jupyter_mlstudio.errors import ValidationError

CANONICAL = {
    "Import Data",
    "Enter Data Manually",
    "Select Columns in Dataset",
    "Clean Missing Data",
    "Normalize Data",
    "Split Data",
    "Remove Duplicate Rows",
    "Two-Class Logistic Regression",
    "Two-Class Boosted Decision Tree",
    "Linear Regression",
    "Train Model",
    "Score Model",
    "Evaluate Model",
    "Web Service Input",
    "Web Service Output",
    "Edit Metadata",
    "Join Data",
    "Apply SQL Transformation",
    "Execute Python Script",
    "Filter Based Feature Selection",
    "Multiclass Decision Forest",
    "Boosted Decision Tree Regression",
    "Decision Forest Regression",
    "K-Means Clustering",
    "Train Clustering Model",
    "Tune Model Hyperparameters",
    "Cross Validate Model",
}


def test_the_library_has_the_issues_components():
    names = {c.name for c in builtin_components()}
    assert names >= CANONICAL


@pytest.mark.parametrize("comp", builtin_components(), ids=lambda c: c.id)
def test_each_builtins_parameters_cell_declares_its_whole_interface(comp):
    """The metadata interface and the parameters cell agree: every port and parameter is a
    variable there, defaults equal, nothing else assigned."""
    notebook = json.loads(comp.notebook.read_text())
    source = parameters_cell(notebook)
    assert source is not None
    assigned = {}
    for stmt in ast.parse(source).body:
        assert isinstance(stmt, ast.Assign)
        assigned[stmt.targets[0].id] = ast.literal_eval(stmt.value)
    ports = [p.name for p in (*comp.inputs, *comp.outputs)]
    params = {p.name: p.default for p in comp.parameters}
    assert sorted(assigned) == sorted([*ports, *params])
    assert {k: assigned[k] for k in params} == params
    assert all(p.type in PORT_TYPES for p in (*comp.inputs, *comp.outputs))
    assert comp.version and comp.category and comp.description
    for param in comp.parameters:
        if param.default is not None:
            assert param.check(param.default) is None, param.name
    assert comp.to_dict()["ref"] == f"builtin:{comp.id}"
    json.dumps(comp.to_dict())


def _plain_notebook(path):
    nb = new_notebook(
        cells=[
            new_code_cell(
                "raw = ''  # input: DataFrame\n"
                "extra = None  # optional input\n"
                "model_dir = ''  # output: Model\n"
                "output_report = ''\n"
                "alpha = 0.5  # range: 0..1\n"
                "kind = 'fast'  # choices: fast, slow\n"
                "epochs = 3\n"
                "verbose = False\n"
                "computed = len('abc')\n"
            ),
            new_code_cell("print(alpha)"),
        ]
    )
    nb.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(nb, path)


def test_a_plain_notebook_becomes_a_component_from_its_parameters_cell(tmp_path):
    _plain_notebook(tmp_path / "mine.ipynb")
    comp = component_from_notebook(tmp_path / "mine.ipynb")
    assert [(p.name, p.type, p.optional) for p in comp.inputs] == [
        ("raw", "DataFrame", False),
        ("extra", "AnyFile", True),
    ]
    assert [(p.name, p.type) for p in comp.outputs] == [
        ("model_dir", "Model"),
        ("output_report", "AnyFile"),
    ]
    params = {p.name: p for p in comp.parameters}
    assert sorted(params) == ["alpha", "epochs", "kind", "verbose"]
    assert (params["alpha"].type, params["alpha"].min, params["alpha"].max) == ("float", 0, 1)
    assert params["kind"].choices == ("fast", "slow")
    assert params["epochs"].type == "int" and params["verbose"].type == "bool"
    assert params["alpha"].check(2.0) == "2.0 is above its maximum 1.0."
    assert comp.category == "User" and comp.name == "mine"


def test_an_edited_interface_is_written_to_the_notebook(tmp_path):
    _plain_notebook(tmp_path / "mine.ipynb")
    interface = component_from_notebook(tmp_path / "mine.ipynb").to_dict()
    interface["name"] = "My Trainer"
    interface["outputs"][1]["type"] = "Metrics"
    comp = write_interface(tmp_path / "mine.ipynb", interface)
    assert comp.name == "My Trainer" and comp.output("output_report").type == "Metrics"
    assert ComponentLibrary(tmp_path).get("file:mine.ipynb").name == "My Trainer"
    interface["outputs"][1]["type"] = "Spreadsheet"
    with pytest.raises(ValidationError, match="unknown type 'Spreadsheet'"):
        write_interface(tmp_path / "mine.ipynb", interface)
    assert component_from_notebook(tmp_path / "mine.ipynb").name == "My Trainer"  # unchanged


def test_a_notebook_without_parameters_cell_is_a_component_with_no_interface(tmp_path):
    nbformat.write(new_notebook(cells=[new_code_cell("print(1)")]), tmp_path / "p.ipynb")
    comp = component_from_notebook(tmp_path / "p.ipynb")
    assert (comp.inputs, comp.outputs, comp.parameters) == ((), (), ())


def test_a_malformed_interface_is_refused_with_what_is_wrong(tmp_path):
    _plain_notebook(tmp_path / "mine.ipynb")
    with pytest.raises(ValidationError, match="'inputs' must be a list of objects"):
        write_interface(tmp_path / "mine.ipynb", {"name": "x", "inputs": [{"type": "Model"}]})
