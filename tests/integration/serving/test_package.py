"""Model.package writes a Docker build context; its server command runs here as the image
would run it (no Docker engine on the test machines)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import httpx

from tests.integration.serving.conftest import SCORE_PY, write_script


def test_package_writes_a_build_context_that_serves(trained, tmp_path):
    from jupyter_mlstudio.core import Model
    from jupyter_mlstudio.core.model import InferenceConfig
    from jupyter_mlstudio.serving.process import free_port

    folder = write_script(tmp_path / "pkgsrc", SCORE_PY)
    (folder / "env.yml").write_text(
        "name: inference\ndependencies:\n  - python=3.11\n  - scikit-learn\n"
        "  - pip:\n    - joblib\n    - pandas>=2.0\n"
    )
    config = InferenceConfig(
        entry_script="score.py",
        source_directory=str(folder),
        runtime="python",
        conda_file="env.yml",
    )
    pkg = Model.package(
        trained.ws,
        [trained.model],
        config,
        generate_dockerfile=True,
        image_name="cancer",
        image_label="v1",
    )
    ctx = trained.ws.path / ".mlstudio" / "packages" / "cancer-v1"
    assert pkg.location == str(ctx)
    assert (ctx / "app" / "score.py").read_text() == (folder / "score.py").read_text()
    assert (ctx / "azureml-models" / "cancer" / "1" / "cancer.pkl").is_file()
    dockerfile = (ctx / "Dockerfile").read_text()
    assert dockerfile.startswith("# Built by jupyter_mlstudio Model.package for cancer:1\nFROM ")
    assert "RUN pip install --no-cache-dir -r requirements.txt" in dockerfile
    assert "ENV AZUREML_MODEL_DIR=/var/azureml-app/azureml-models/cancer/1" in dockerfile
    assert "jupyter_mlstudio.serving.standalone" in dockerfile and "EXPOSE 5001" in dockerfile
    requirements = (ctx / "requirements.txt").read_text().splitlines()
    names = [re.split(r"[\[=<>]", r)[0] for r in requirements]
    assert names[:3] == ["scikit-learn", "joblib", "pandas"]
    assert {"jupyter_mlstudio", "starlette", "uvicorn", "orjson", "numpy"} <= set(names)
    import sklearn

    assert f"scikit-learn=={sklearn.__version__}" in requirements
    assert "pandas>=2.0" in requirements  # a given specifier is kept
    assert all("==" in r or ">=" in r for r in requirements)
    copy = tmp_path / "copy"
    pkg.save(str(copy))
    assert (copy / "Dockerfile").read_text() == dockerfile

    # Run the image's command against the context, as the container would.
    port = free_port()
    env = {
        **os.environ,
        "AZUREML_MODEL_DIR": str(ctx / "azureml-models" / "cancer" / "1"),
        "MLSTUDIO_SCORING_KEY": "container-key",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_mlstudio.serving.standalone",
            "--source-dir",
            str(ctx / "app"),
            "--entry-script",
            "score.py",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        rows = trained.X[:2].tolist()
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.post(
                    f"http://127.0.0.1:{port}/score",
                    json={"data": rows},
                    headers={"Authorization": "Bearer container-key"},
                )
                break
            except httpx.ConnectError:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert r.status_code == 200 and r.json() == trained.expected(rows)
        assert httpx.post(f"http://127.0.0.1:{port}/score", json={"data": rows}).status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=30)
