"""Other formats (Parquet, JSON lines) and sources (HTTP URLs, in-memory datastores)."""

from __future__ import annotations

import functools
import http.server
import threading

import pandas as pd
import pytest

from jupyter_mlstudio.core import Dataset, Datastore


def test_parquet_and_json_lines(local_ws, tmp_path):
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", None]})
    frame.to_parquet(tmp_path / "t.parquet")
    frame.to_json(tmp_path / "t.jsonl", orient="records", lines=True)
    parquet = Dataset.Tabular.from_parquet_files(str(tmp_path / "*.parquet"))
    lines = Dataset.Tabular.from_json_lines_files(str(tmp_path / "t.jsonl"))
    pd.testing.assert_frame_equal(parquet.to_pandas_dataframe(), frame, check_dtype=False)
    assert lines.to_pandas_dataframe()["a"].tolist() == [1, 2, 3]
    assert parquet.register(local_ws, "pq").profile["columns"][1]["missing"] == 1


@pytest.fixture
def http_folder(tmp_path):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_csv_from_a_url(http_folder):
    folder, url = http_folder
    (folder / "wine.csv").write_text("quality,alcohol\n5,9.4\n6,10.2\n")
    wine = Dataset.Tabular.from_delimited_files(f"{url}/wine.csv")
    assert wine.to_pandas_dataframe().to_dict("list") == {"quality": [5, 6], "alcohol": [9.4, 10.2]}


def test_an_in_memory_datastore(local_ws, tmp_path):
    (tmp_path / "up").mkdir()
    (tmp_path / "up" / "a.csv").write_text("x\n1\n2\n")
    scratch = Datastore.register(local_ws, "scratch", "memory", "memory://scratch-test")
    scratch.upload(str(tmp_path / "up"), target_path="d", show_progress=False)
    table = Dataset.Tabular.from_delimited_files((scratch, "d/*.csv"))
    assert table.to_pandas_dataframe()["x"].tolist() == [1, 2]
    assert sorted(local_ws.datastores) == ["scratch", "workspaceblobstore"]
    scratch.unregister()
    assert sorted(local_ws.datastores) == ["workspaceblobstore"]
