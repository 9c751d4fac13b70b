"""Environments end to end: jobs in a built venv, reuse, build failures, no-build definitions."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from jupyter_mlstudio.core import Environment, Experiment, ScriptRunConfig
from jupyter_mlstudio.core.conda_dependencies import CondaDependencies
from jupyter_mlstudio.errors import ActivityFailedException
from jupyter_mlstudio.execution.environments import materialize

# A small pure-Python package this Python lacks (checked below with pip).
EXTRA = "termcolor"

SCRIPT = """
    import os, sys
    import termcolor
    from jupyter_mlstudio.core import Run
    run = Run.get_context()
    run.log("has_termcolor", 1)
    print("python", sys.executable)
    print("termcolor from", termcolor.__file__)
    print("GREETING", os.environ.get("GREETING"))
"""


@pytest.fixture(autouse=True)
def _own_jupyter_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Kernelspecs of built environments go here rather than the user's Jupyter folder.
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))


def _code(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "code"
    folder.mkdir(exist_ok=True)
    (folder / "train.py").write_text(textwrap.dedent(text))
    return folder


def _not_installed_here(package: str) -> bool:
    shown = subprocess.run(
        [sys.executable, "-m", "pip", "show", package], capture_output=True, text=True
    )
    return shown.returncode != 0


def test_a_job_runs_in_a_built_venv_with_a_package_this_python_lacks(local_ws, tmp_path):
    assert _not_installed_here(EXTRA), f"{EXTRA} is installed in the base Python"
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"{EXTRA}  # colours\n")
    env = Environment.from_pip_requirements("colour-env", requirements)
    env.environment_variables = {"GREETING": "hello"}
    env.register(local_ws)
    code = _code(tmp_path, SCRIPT)
    exp = Experiment(local_ws, "envs")
    first = exp.submit(ScriptRunConfig(str(code), "train.py", environment=env))
    first.wait_for_completion(raise_on_error=True)
    log = first.get_details_with_logs()["logFiles"]
    std = log["logs/std_log.txt"]
    venv_line = next(ln for ln in std.splitlines() if ln.startswith("python "))
    assert sys.executable not in venv_line
    assert "/envs/" in venv_line
    assert "GREETING hello" in std
    assert first.get_metrics()["has_termcolor"] == 1
    build = log["logs/environment_build.txt"]
    assert "Building environment 'colour-env'" in build
    assert EXTRA in build  # pip's own output is shown
    # The kernelspec of the environment is registered.
    kernels = list((tmp_path / "jupyter-data" / "kernels").glob("mlstudio-env-*/kernel.json"))
    assert kernels and str(Path(venv_line.split()[1])) in kernels[0].read_text()

    # The same definition under another name reuses the built venv.
    again = env.clone("colour-env-2")
    second = exp.submit(ScriptRunConfig(str(code), "train.py", environment=again))
    second.wait_for_completion(raise_on_error=True)
    build2 = second.get_details_with_logs()["logFiles"]["logs/environment_build.txt"]
    assert "reusing the built environment" in build2
    assert _not_installed_here(EXTRA), "the build leaked into the base Python"


def test_a_requirement_that_does_not_resolve_fails_the_run_with_pips_reason(local_ws, tmp_path):
    env = Environment("broken-env")
    env.python.conda_dependencies = CondaDependencies.create(pip_packages=["termcolor==0.0.999"])
    code = _code(tmp_path, "print('never')\n")
    run = Experiment(local_ws, "envs").submit(
        ScriptRunConfig(str(code), "train.py", environment=env)
    )
    with pytest.raises(ActivityFailedException, match="termcolor==0.0.999"):
        run.wait_for_completion()
    details = run.get_details()
    assert details["status"] == "Failed"
    assert details["error"]["error"]["code"] == "EnvironmentBuildFailed" or (
        "EnvironmentBuildFailed" in str(details["error"])
    )
    assert "never" not in run.get_details_with_logs()["logFiles"].get("logs/std_log.txt", "")


def test_a_definition_this_python_satisfies_needs_no_build(local_ws, tmp_path):
    conda_file = tmp_path / "conda.yml"
    conda_file.write_text(
        "name: wine\ndependencies:\n  - python=3.8\n  - scikit-learn\n  - pip:\n    - pandas\n"
    )
    env = Environment.from_conda_specification("wine-env", conda_file)
    code = _code(tmp_path, "import sys, sklearn; print('python', sys.executable)\n")
    run = Experiment(local_ws, "envs").submit(
        ScriptRunConfig(str(code), "train.py", environment=env)
    )
    run.wait_for_completion(raise_on_error=True)
    logs = run.get_details_with_logs()["logFiles"]
    assert f"python {sys.executable}" in logs["logs/std_log.txt"]
    assert "no build needed" in logs["logs/environment_build.txt"]
    assert "python=3.8" in logs["logs/environment_build.txt"]  # said, not hidden
    curated = Environment.get(local_ws, "mlstudio-sklearn")
    assert materialize(curated.get_definition(), curated.fingerprint()).path is None


def test_two_runs_needing_the_same_environment_build_it_once(tmp_path, monkeypatch):
    monkeypatch.setenv("MLSTUDIO_ENV_CACHE", str(tmp_path / "cache"))
    env = Environment("shared")
    env.python.conda_dependencies = CondaDependencies.create(pip_packages=[EXTRA])
    results = []

    def build() -> None:
        results.append(materialize(env.get_definition(), env.fingerprint()))

    threads = [threading.Thread(target=build) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.built for r in results) == [False, True]
    assert results[0].python == results[1].python
