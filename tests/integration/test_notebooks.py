"""The example notebooks in notebooks/, each run end to end by papermill in a fresh folder.

Each has a ``parameters`` cell; the values here keep the data (and sweeps) small.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

CASES = {
    "01-quickstart.ipynb": {"n_rows": 200},
    "02-train-and-deploy.ipynb": {"n_rows": 200, "max_depth": 4},
    "03-hyperdrive.ipynb": {"n_rows": 200, "max_total_runs": 3, "max_concurrent_runs": 2},
    "04-automl.ipynb": {"iterations": 4, "allowed_models": ["LogisticRegression", "DecisionTree"]},
    "05-pipelines.ipynb": {"n_rows": 200},
    "06-designer.ipynb": {"n_rows": 300, "trees": 10},
}


SCALE_OUT = "07-scale-out.ipynb"


def _text(executed) -> str:
    out = []
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            out.append(output.get("text", ""))
            out.append(str(output.get("data", {}).get("text/plain", "")))
    return "\n".join(out)


def test_every_notebook_is_tested_and_stored_without_outputs():
    stored = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    assert stored == sorted([*CASES, SCALE_OUT])
    for name in stored:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), name
        assert "parameters" in code[0].metadata.get("tags", []), name


def _execute(name: str, folder: Path, parameters: dict) -> str:
    output = folder / f"executed-{name}"
    try:
        papermill.execute_notebook(
            str(NOTEBOOKS / name),
            str(output),
            parameters=parameters,
            cwd=str(folder),
            kernel_name="python3",
            progress_bar=False,
            execution_timeout=240,
        )
    finally:
        _stop_endpoints(folder)
    return _text(nbformat.read(output, as_version=4))


@pytest.mark.parametrize("name", sorted(CASES))
def test_notebook_runs_end_to_end(name, tmp_path):
    text = _execute(name, tmp_path, CASES[name])
    assert "Traceback" not in text
    checks = {
        "01-quickstart.ipynb": ["houses version 1 200 rows", "house_price:1"],
        "02-train-and-deploy.ipynb": ["<Response [200]>", "without the key: 401"],
        "03-hyperdrive.ipynb": ["best run:", "sweep_best:1"],
        "04-automl.ipynb": ["AutoML completed after 4 iterations", "cancer-automl:1"],
        "05-pipelines.ipynb": ["'Train': None", "nightly-train Active", "Disabled"],
        "06-designer.ipynb": ["problems: []", "'Completed'", "Healthy", "200 [1, 0]"],
    }
    for expected in checks[name]:
        assert expected in text, f"{name}: {expected!r} not in the outputs"


def test_scale_out_notebook_on_postgresql_s3_and_dask(postgres, s3_env, tmp_path):
    """07 for real: metadata in PostgreSQL, artifacts in S3 (moto), jobs on a Dask cluster."""
    import uuid

    from tests.s3 import create_bucket

    if postgres is None:
        pytest.skip("MLSTUDIO_SKIP_POSTGRES=1")
    bucket = f"b{uuid.uuid4().hex[:12]}"
    create_bucket(s3_env, bucket)
    parameters = {
        "metadata_url": postgres.new_database(),
        "artifact_root": f"s3://{bucket}/team",
        "max_nodes": 2,
    }
    text = _execute(SCALE_OUT, tmp_path, parameters)
    assert "metadata : 127.0.0.1" in text and f"artifacts: s3://{bucket}/team" in text
    assert text.count("Completed {'r2'") == 2
    assert f"s3://{bucket}/team/models/scaled-forest/" in text
    assert not (tmp_path / ".mlstudio" / "mlstudio.db").exists()  # nothing kept locally


def _stop_endpoints(folder: Path) -> None:
    """Endpoints outlive the kernel: stop any a failed notebook left running."""
    from jupyter_mlstudio.core import Webservice, Workspace
    from jupyter_mlstudio.errors import NotFoundError

    try:
        ws = Workspace.from_config(folder)
    except NotFoundError:
        return
    for service in Webservice.list(ws):
        service.delete()
