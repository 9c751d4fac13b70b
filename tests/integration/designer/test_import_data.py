"""Import Data from its three sources, run in this process: a registered dataset of the
workspace, a URL served over real HTTP on 127.0.0.1, and a user's notebook as a component
after it."""

from __future__ import annotations

import http.server
import threading
from functools import partial

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_mlstudio.core import Dataset
from jupyter_mlstudio.designer import PipelineDocument
from jupyter_mlstudio.designer import runtime as rt
from jupyter_mlstudio.designer.local_run import InProcessGraph


@pytest.fixture
def served(tmp_path):
    """tmp_path/www over HTTP on 127.0.0.1 (a real server, on a thread)."""
    (tmp_path / "www").mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "www"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path / "www", f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _import(tmp_path, **params) -> pd.DataFrame:
    doc = PipelineDocument.new("import")
    doc.path = tmp_path / "import.mlpipeline"
    node = doc.add_node("builtin:import_data", parameters=params)
    assert doc.validate() == []
    folders = InProcessGraph(doc).run(tmp_path / "work")
    return rt.read_table(folders[(node, "results_dataset")])


def test_import_a_registered_tabular_dataset(local_ws, tmp_path):
    (tmp_path / "flowers.csv").write_text("petal,kind\n1.5,a\n4.2,b\n3.3,b\n")
    store = local_ws.get_default_datastore()
    store.upload_files([str(tmp_path / "flowers.csv")], target_path="raw", show_progress=False)
    Dataset.Tabular.from_delimited_files((store, "raw/flowers.csv")).register(local_ws, "flowers")
    df = _import(tmp_path, source="registered_dataset", dataset_name="flowers")
    assert df.to_dict("records") == [
        {"petal": 1.5, "kind": "a"},
        {"petal": 4.2, "kind": "b"},
        {"petal": 3.3, "kind": "b"},
    ]


def test_import_a_url_and_a_parquet_file(served, tmp_path):
    www, base = served
    pd.DataFrame({"x": [1, 2, 3]}).to_csv(www / "table.csv", index=False)
    assert _import(tmp_path, source="url", url=f"{base}/table.csv")["x"].tolist() == [1, 2, 3]
    pd.DataFrame({"y": [0.5]}).to_parquet(tmp_path / "t.parquet")
    assert _import(tmp_path, source="file", path="t.parquet")["y"].tolist() == [0.5]


def test_a_users_notebook_is_a_component_in_a_pipeline(tmp_path):
    nb = new_notebook(
        cells=[
            new_code_cell(
                "table = ''  # input: DataFrame\nresult = ''  # output: DataFrame\nfactor = 2"
            ),
            new_code_cell(
                "from jupyter_mlstudio.designer import runtime as rt\n"
                "df = rt.read_table(table)\n"
                "df['twice'] = df['x'] * factor\n"
                "rt.write_table(df, result)\n"
            ),
        ]
    )
    nb.cells[0].metadata["tags"] = ["parameters"]
    (tmp_path / "mine").mkdir()
    nbformat.write(nb, tmp_path / "mine" / "double.ipynb")
    doc = PipelineDocument.new("mine")
    doc.path = tmp_path / "mine.mlpipeline"
    data = doc.add_node("builtin:enter_data_manually", parameters={"data": "x\n1\n5\n"})
    mine = doc.add_node("file:mine/double.ipynb", parameters={"factor": 3})
    doc.connect(data, "results_dataset", mine, "table")
    assert doc.validate() == []
    folders = InProcessGraph(doc).run(tmp_path / "work")
    assert rt.read_table(folders[(mine, "result")])["twice"].tolist() == [3, 15]
    doc.set_parameter(mine, "factor", "three")
    assert [p["code"] for p in doc.validate()] == ["parameter_value"]
