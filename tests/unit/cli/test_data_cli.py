"""``mlstudio data create`` in this process: uri_folder, uri_file and mltable assets."""

from __future__ import annotations

import json

from jupyter_mlstudio.cli import main


def test_data_assets_are_uploaded_registered_and_versioned(local_ws, tmp_path, capsys):
    from jupyter_mlstudio.core import Dataset

    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "a.csv").write_text("x\n1\n")
    (tmp_path / "tbl").mkdir()
    (tmp_path / "tbl" / "p1.csv").write_text("a;b\n1;x\n2;y\n")
    (tmp_path / "tbl" / "p2.csv").write_text("a;b\n3;z\n")
    (tmp_path / "tbl" / "MLTable").write_text(
        "paths:\n  - pattern: ./*.csv\n"
        "transformations:\n  - read_delimited:\n      delimiter: ';'\n"
    )
    (tmp_path / "folder.yml").write_text("name: raw\ntype: uri_folder\npath: ./raw\n")
    (tmp_path / "file.yml").write_text("name: raw\ntype: uri_file\npath: ./raw/a.csv\n")
    (tmp_path / "table.yml").write_text(
        "$schema: https://azuremlschemas.azureedge.net/latest/data.schema.json\n"
        "name: table\ntype: mltable\npath: ./tbl\ntags: {source: test}\n"
    )
    for spec in ("folder.yml", "file.yml", "table.yml"):
        assert main(["data", "create", "-f", str(tmp_path / spec), "-o", "json"]) == 0
    capsys.readouterr()
    assert [d.version for d in Dataset.get_versions(local_ws, "raw")] == [2, 1]
    table = Dataset.get_by_name(local_ws, "table")
    assert table.to_pandas_dataframe().sort_values("a")["b"].tolist() == ["x", "y", "z"]
    assert table.tags == {"source": "test"}
    # uploaded to the default datastore: the original folder can go
    (tmp_path / "raw" / "a.csv").unlink()
    assert len(Dataset.get_by_name(local_ws, "raw", 1).to_path()) == 1
    assert main(["data", "list", "-o", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {(d["name"], d["version"], d["rows"]) for d in listed} == {
        ("raw", 2, None),
        ("table", 1, 3),
    }


def test_bad_data_specs_name_the_line(local_ws, tmp_path, capsys):
    (tmp_path / "bad.yml").write_text("name: x\ntype: uri_folder\npath: ./nowhere\n")
    assert main(["data", "create", "-f", str(tmp_path / "bad.yml")]) == 2
    assert "bad.yml, line 3: the path './nowhere' does not exist" in capsys.readouterr().err
    (tmp_path / "kind.yml").write_text("name: x\ntype: table\npath: .\n")
    assert main(["data", "create", "-f", str(tmp_path / "kind.yml")]) == 2
    assert "kind.yml, line 2: the data type 'table' is not known" in capsys.readouterr().err
