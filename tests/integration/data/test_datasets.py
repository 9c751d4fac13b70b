"""Datasets on real files: local datastores, registration, versions, profiles, lineage."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jupyter_mlstudio.core import Dataset, Datastore, Experiment, ScriptRunConfig
from jupyter_mlstudio.data._readers import MalformedDataError
from jupyter_mlstudio.data.datapath import NoFilesError
from jupyter_mlstudio.errors import ConflictError, NotFoundError, ValidationError


def _wine(folder: Path, rows: int = 200, seed: int = 0, parts: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "alcohol": rng.normal(10, 1, rows).round(2),
            "acidity": rng.normal(0.5, 0.1, rows).round(3),
            "color": rng.choice(["red", "white"], rows),
            "quality": rng.integers(3, 9, rows),
        }
    )
    frame.loc[::10, "acidity"] = np.nan
    folder.mkdir(parents=True, exist_ok=True)
    size = -(-rows // parts)
    for i in range(parts):
        frame.iloc[i * size : (i + 1) * size].to_csv(folder / f"part{i}.csv", index=False)
    return frame


@pytest.fixture
def wine_store(local_ws, tmp_path):
    frame = _wine(tmp_path / "src" / "wine")
    ds = local_ws.get_default_datastore()
    ds.upload(str(tmp_path / "src"), target_path="data", show_progress=False)
    return ds, frame


def test_tabular_dataset_reads_globs_and_applies_steps(wine_store):
    ds, frame = wine_store
    wine = Dataset.Tabular.from_delimited_files((ds, "data/wine/*.csv"))
    got = wine.to_pandas_dataframe()
    pd.testing.assert_frame_equal(got, frame.reset_index(drop=True), check_dtype=False)
    assert len(wine.take(5).to_pandas_dataframe()) == 5
    assert len(wine.skip(190).to_pandas_dataframe()) == 10
    assert list(wine.keep_columns(["quality"]).to_pandas_dataframe().columns) == ["quality"]
    assert "color" not in wine.drop_columns("color").to_pandas_dataframe().columns
    high = wine.filter("quality >= 6").to_pandas_dataframe()
    assert (high["quality"] >= 6).all() and len(high) == (frame["quality"] >= 6).sum()
    a, b = wine.random_split(0.8, seed=1)
    na, nb = len(a.to_pandas_dataframe()), len(b.to_pandas_dataframe())
    assert na + nb == 200 and 130 < na < 190
    assert (
        wine.take_sample(0.5, seed=3)
        .to_pandas_dataframe()
        .equals(wine.take_sample(0.5, seed=3).to_pandas_dataframe())
    )  # seeded: the same rows
    with_path = Dataset.Tabular.from_delimited_files((ds, "data/wine/*.csv"), include_path=True)
    assert set(with_path.to_pandas_dataframe()["Path"]) == {"/part0.csv", "/part1.csv"}


def test_registration_versions_profiles_and_schema_changes(ws, tmp_path):
    folder = tmp_path / "v"
    frame = _wine(folder, parts=1)
    v1 = Dataset.Tabular.from_delimited_files(str(folder / "part0.csv")).register(
        ws, "wine", description="red and white", tags={"source": "test"}
    )
    assert (v1.name, v1.version, v1.id) == ("wine", 1, "wine:1")
    again = Dataset.Tabular.from_delimited_files(str(folder / "part0.csv")).register(ws, "wine")
    assert again.version == 1  # identical content: the same version
    profile = v1.profile
    assert profile["rows"] == 200 and profile["column_count"] == 4
    columns = {c["name"]: c for c in profile["columns"]}
    assert columns["acidity"]["missing"] == 20
    assert columns["acidity"]["missing_share"] == pytest.approx(0.1)
    assert columns["alcohol"]["mean"] == pytest.approx(frame["alcohol"].mean())
    assert sum(columns["alcohol"]["histogram"]["counts"]) == 200
    assert {t["value"] for t in columns["color"]["top_values"]} == {"red", "white"}
    assert columns["quality"]["distinct"] == frame["quality"].nunique()

    frame["sweetness"] = 1.5
    frame.to_csv(folder / "part0.csv", index=False)
    changed = Dataset.Tabular.from_delimited_files(str(folder / "part0.csv"))
    with pytest.raises(ConflictError, match="create_new_version=True"):
        changed.register(ws, "wine")
    v2 = changed.register(ws, "wine", create_new_version=True)
    assert v2.version == 2
    assert v2.schema_change == {"added": ["sweetness"], "dropped": [], "retyped": {}}

    assert Dataset.get_by_name(ws, "wine").version == 2
    assert Dataset.get_by_name(ws, "wine", version=1).description == "red and white"
    assert Dataset.get_by_id(ws, "wine:1").tags == {"source": "test"}
    assert [d.version for d in Dataset.get_versions(ws, "wine")] == [2, 1]
    assert list(ws.datasets) == ["wine"]
    v2.add_tags({"stage": "gold"})
    assert Dataset.get_by_name(ws, "wine").tags == {"stage": "gold"}


def test_file_dataset_paths_download_and_mount(wine_store, tmp_path):
    ds, _ = wine_store
    files = Dataset.File.from_files((ds, "data/wine"))
    assert files.to_path() == ["/part0.csv", "/part1.csv"]
    got = files.download(str(tmp_path / "dl"))
    assert sorted(Path(p).name for p in got) == ["part0.csv", "part1.csv"]
    with files.mount() as ctx:
        mounted = sorted(p.name for p in Path(ctx.mount_point).iterdir())
        assert mounted == ["part0.csv", "part1.csv"]
        assert (Path(ctx.mount_point) / "part0.csv").read_text().startswith("alcohol,")
    assert not Path(ctx.mount_point).exists()
    assert files.take(1).to_path() == ["/part0.csv"]
    first, second = files.random_split(0.5, seed=0)
    assert sorted(first.to_path() + second.to_path()) == files.to_path()
    registered = files.register(ds.workspace, "wine_files")
    assert registered.profile == {
        "files": 2,
        "total_bytes": registered.profile["total_bytes"],
        "extensions": {".csv": 2},
    }


def test_datasets_in_jobs_and_lineage_both_ways(wine_store, tmp_path):
    ds, _ = wine_store
    ws = ds.workspace
    table = Dataset.Tabular.from_delimited_files((ds, "data/wine/*.csv")).register(ws, "wine")
    files = Dataset.File.from_files((ds, "data/wine/part*.csv")).register(ws, "wine_files")
    code = tmp_path / "code"
    code.mkdir()
    (code / "train.py").write_text(
        textwrap.dedent("""
        import argparse, os
        from jupyter_mlstudio.core import Run
        p = argparse.ArgumentParser()
        p.add_argument("--table"); p.add_argument("--files")
        a = p.parse_args()
        run = Run.get_context()
        df = run.input_datasets["wine"].to_pandas_dataframe()
        run.log("rows", len(df))
        run.log("files", len(os.listdir(a.files)))
        run.log("same_folder", a.files == run.input_datasets["wine_files"])
        print("table argument", a.table)
    """)
    )
    src = ScriptRunConfig(
        str(code),
        "train.py",
        arguments=[
            "--table",
            table.as_named_input("wine"),
            "--files",
            files.as_named_input("wine_files").as_download(),
        ],
    )
    run = Experiment(ws, "data").submit(src)
    run.wait_for_completion()
    assert run.get_metrics() == {"rows": 200, "files": 2, "same_folder": True}
    assert "table argument wine:1" in run.get_job_log()
    assert {(d["name"], d["dataset"]) for d in run.get_details()["inputDatasets"]} == {
        ("wine", "wine:1"),
        ("wine_files", "wine_files:1"),
    }
    assert [u.run_id for u in table.get_runs()] == [run.id]
    with pytest.raises(ValidationError, match="cannot be mounted"):
        table.as_named_input("wine").as_mount()


def test_register_pandas_dataframe(local_ws):
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    ds = local_ws.get_default_datastore()
    registered = Dataset.Tabular.register_pandas_dataframe(frame, ds, "small")
    assert registered.version == 1
    pd.testing.assert_frame_equal(
        Dataset.get_by_name(local_ws, "small").to_pandas_dataframe(), frame
    )


def test_bad_input_is_explained_and_nothing_registered_is_touched(local_ws, tmp_path):
    ds = local_ws.get_default_datastore()
    good = tmp_path / "good.csv"
    good.write_text("a,b\n1,2\n")
    Dataset.Tabular.from_delimited_files(str(good)).register(local_ws, "good")
    with pytest.raises(NoFilesError, match="'nothing/\\*.csv' on datastore 'workspaceblobstore'"):
        Dataset.Tabular.from_delimited_files((ds, "nothing/*.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,c\n1,2,3\n4,5,6\n7,8,9,10\n")
    with pytest.raises(MalformedDataError, match=r"bad.csv, line 4 .*expected 3 fields, found 4"):
        Dataset.Tabular.from_delimited_files(str(bad))
    with pytest.raises(NotFoundError, match="no registered dataset 'nope'"):
        Dataset.get_by_name(local_ws, "nope")
    with pytest.raises(NotFoundError, match="'good' version 7"):
        Dataset.get_by_name(local_ws, "good", version=7)
    with pytest.raises(ValidationError, match="not a valid dataset name"):
        Dataset.Tabular.from_delimited_files(str(good)).register(local_ws, "no spaces")
    assert Dataset.get_by_name(local_ws, "good").to_pandas_dataframe().to_dict("list") == {
        "a": [1],
        "b": [2],
    }


def test_a_datastore_whose_secret_is_missing_says_which(local_ws, s3_env, monkeypatch):
    from jupyter_mlstudio.store.credentials import MissingCredentialsError

    with pytest.raises(MissingCredentialsError, match="environment variable MY_KEY_ID"):
        Datastore.register_s3(
            local_ws, "lake", "bucket", key_env="MY_KEY_ID", secret_env="MY_SECRET_KEY"
        )
    assert "lake" not in local_ws.datastores
