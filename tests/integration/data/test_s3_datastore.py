"""S3 datastores against a real S3-compatible server (moto, on 127.0.0.1)."""

from __future__ import annotations

import os
import textwrap
import uuid

import pandas as pd
from sqlalchemy import text

from jupyter_mlstudio.core import Dataset, Datastore, Experiment, ScriptRunConfig
from tests.s3 import create_bucket


def test_s3_datastore_datasets_and_jobs(local_ws, s3_env, tmp_path):
    bucket = f"lake{uuid.uuid4().hex[:10]}"
    create_bucket(s3_env, bucket)
    lake = Datastore.register_s3(
        local_ws, "lake", bucket, "raw", endpoint_url=s3_env, key="test", secret="test"
    )
    with local_ws._store.db.read() as conn:
        stored = conn.execute(text("SELECT options FROM datastores WHERE name='lake'")).scalar()
    assert '"test"' not in stored and "secret" not in stored.replace('"credentials"', "")
    secret_file = lake.options["credentials"]["file"]
    assert oct(os.stat(secret_file).st_mode & 0o777) == "0o600"

    src = tmp_path / "src"
    src.mkdir()
    pd.DataFrame({"x": [1, 2, 3], "y": [0.5, 1.5, 2.5]}).to_csv(src / "t.csv", index=False)
    (src / "notes.txt").write_text("hello")
    lake.upload(str(src), target_path="v1", show_progress=False)

    table = Dataset.Tabular.from_delimited_files((lake, "v1/*.csv")).register(local_ws, "s3tab")
    assert table.to_pandas_dataframe()["x"].tolist() == [1, 2, 3]
    assert table.profile["rows"] == 3

    files = Dataset.File.from_files((lake, "v1"))
    code = tmp_path / "code"
    code.mkdir()
    (code / "train.py").write_text(
        textwrap.dedent("""
        import sys, os
        folder = sys.argv[1]
        print(sorted(os.listdir(folder)))
        print(open(os.path.join(folder, "notes.txt")).read())
    """)
    )
    run = Experiment(local_ws, "s3data").submit(
        ScriptRunConfig(str(code), "train.py", arguments=[files.as_named_input("raw")])
    )
    run.wait_for_completion()
    log = run.get_job_log()
    assert "['notes.txt', 't.csv']" in log and "hello" in log
