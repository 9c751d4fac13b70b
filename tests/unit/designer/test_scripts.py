"""A user's Python script as a component: its parameters block is its interface."""

from __future__ import annotations

import json

from jupyter_mlstudio.designer import ComponentLibrary, PipelineDocument, compile_document
from jupyter_mlstudio.designer import runtime as rt
from jupyter_mlstudio.designer.executor import CompiledNotebook
from jupyter_mlstudio.designer.local_run import InProcessGraph

SCRIPT = '''"""Scale a column."""
import math

table = ""  # input: DataFrame
scaled = ""  # output: DataFrame
factor = 2.0  # range: 0..10
column = "x"

from jupyter_mlstudio.designer import runtime as rt

df = rt.read_table(table)
df[column] = df[column] * factor + math.floor(0.5)
rt.write_table(df, scaled)
'''


def test_a_script_is_a_component_that_runs_and_compiles(tmp_path):
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "scale.py").write_text(SCRIPT)
    comp = ComponentLibrary(tmp_path).get("file:code/scale.py")
    assert [p.name for p in comp.inputs] == ["table"] and comp.output("scaled").type == "DataFrame"
    assert comp.parameter("factor").max == 10 and comp.parameter("column").default == "x"

    doc = PipelineDocument.new("s")
    doc.path = tmp_path / "s.mlpipeline"
    data = doc.add_node("builtin:enter_data_manually", parameters={"data": "x\n1\n4\n"})
    node = doc.add_node("file:code/scale.py", parameters={"factor": 3.0})
    doc.connect(data, "results_dataset", node, "table")
    assert doc.validate() == []
    folders = InProcessGraph(doc).run(tmp_path / "work")
    assert rt.read_table(folders[(node, "scaled")])["x"].tolist() == [3.0, 12.0]

    step = compile_document(doc).steps[1]
    assert step.notebook == ".mlpipeline-scripts/scale.ipynb"
    assert step.source_directory == str(tmp_path / "code")
    generated = tmp_path / "code" / step.notebook
    cells = json.loads(generated.read_text())["cells"]
    assert [c["metadata"].get("tags") for c in cells] == [None, ["parameters"], None]
    # The generated notebook runs like the script, parameters injected after its cell.
    folder = tmp_path / "again"
    CompiledNotebook.load(generated).run(
        {"table": str(folders[(data, "results_dataset")]), "scaled": str(folder), "factor": 0.5}
    )
    assert rt.read_table(folder)["x"].tolist() == [0.5, 2.0]


def test_a_script_without_parameters_has_no_interface(tmp_path):
    (tmp_path / "p.py").write_text("print('hello')\nx = 1\n")
    comp = ComponentLibrary(tmp_path).get("file:p.py")
    assert (comp.inputs, comp.outputs, comp.parameters) == ((), (), ())
