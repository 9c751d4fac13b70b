"""An endpoint whose environment needs a package this Python lacks runs in a built venv."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.integration.serving.conftest import write_script

EXTRA = "termcolor"

SCORE = """
import sys
import termcolor

def init():
    pass

def run(raw_data):
    return {"python": sys.executable, "termcolor": termcolor.__file__}
"""


@pytest.fixture(autouse=True)
def _own_jupyter_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))


def test_an_endpoint_runs_in_its_built_environment(trained, tmp_path):
    from jupyter_mlstudio.core import Environment, Model
    from jupyter_mlstudio.core.conda_dependencies import CondaDependencies
    from jupyter_mlstudio.core.model import InferenceConfig
    from jupyter_mlstudio.core.webservice import LocalWebservice

    shown = subprocess.run([sys.executable, "-m", "pip", "show", EXTRA], capture_output=True)
    assert shown.returncode != 0, f"{EXTRA} is installed in the base Python"
    env = Environment("colour-serving")
    env.python.conda_dependencies = CondaDependencies.create(pip_packages=[EXTRA])
    src = write_script(tmp_path / "colour_src", SCORE)
    config = InferenceConfig(entry_script="score.py", source_directory=str(src), environment=env)
    service = Model.deploy(
        trained.ws,
        "colour-svc",
        [trained.model],
        config,
        LocalWebservice.deploy_configuration(),
    )
    try:
        service.wait_for_deployment()
        assert service.state == "Healthy", service.get_logs()
        primary, _ = service.get_keys()
        answer = httpx.post(
            service.scoring_uri, json={}, headers={"Authorization": f"Bearer {primary}"}
        ).json()
        assert answer["python"] != sys.executable
        assert EXTRA in answer["termcolor"]
    finally:
        service.delete()
