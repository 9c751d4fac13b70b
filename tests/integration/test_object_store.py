"""A workspace whose artifacts live in an S3-compatible object store (moto on 127.0.0.1)."""

from __future__ import annotations

import textwrap
import uuid

import s3fs

from jupyter_mlstudio.core import Experiment, Model, ScriptRunConfig, Workspace
from tests.s3 import create_bucket


def test_runs_jobs_and_models_keep_their_files_in_s3(s3_env, tmp_path, monkeypatch):
    bucket = f"b{uuid.uuid4().hex[:12]}"
    create_bucket(s3_env, bucket)
    monkeypatch.chdir(tmp_path)
    ws = Workspace.create(name="s3_ws", artifact_root=f"s3://{bucket}/team", show_output=False)
    assert not ws._artifacts.is_local

    (tmp_path / "model.pkl").write_bytes(b"weights")
    run = Experiment(ws, "s3").start_logging()
    run.log("auc", 0.9)
    run.upload_file("outputs/model.pkl", str(tmp_path / "model.pkl"))
    run.complete()
    assert run.get_file_names() == ["outputs/model.pkl"]

    code = tmp_path / "code"
    code.mkdir()
    (code / "train.py").write_text(
        textwrap.dedent("""
        import os
        print("hello from s3 job")
        os.makedirs("outputs", exist_ok=True)
        open("outputs/result.txt", "w").write("done")
    """)
    )
    job = Experiment(ws, "s3").submit(ScriptRunConfig(str(code), "train.py"))
    job.wait_for_completion()
    assert "hello from s3 job" in job.get_job_log()
    assert "outputs/result.txt" in job.get_file_names()

    model = job.register_model("result", "outputs/result.txt")
    local = Model(ws, "result").download(str(tmp_path / "dl"))
    assert open(local).read() == "done"
    assert model.url.startswith(f"s3://{bucket}/team/")

    fs = s3fs.S3FileSystem()
    assert fs.exists(f"{bucket}/team/runs/{run.id}/outputs/model.pkl")
    assert not any(".tmp-" in p for p in fs.find(f"{bucket}/team"))
