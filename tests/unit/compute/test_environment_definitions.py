"""Environment definitions, package plans and compute settings (no jobs, no server)."""

from __future__ import annotations

import sys

import pytest

from jupyter_mlstudio.core import Environment
from jupyter_mlstudio.core.compute import AmlCompute, ComputeTarget, LocalCompute
from jupyter_mlstudio.core.conda_dependencies import CondaDependencies
from jupyter_mlstudio.errors import ComputeTargetException, ValidationError
from jupyter_mlstudio.execution.environments import (
    _conda_to_pip,
    _pip_reason,
    materialize,
    plan_packages,
    unsatisfied,
)


@pytest.mark.parametrize(
    ("conda", "pip"),
    [
        ("numpy", "numpy"),
        ("numpy=1.21", "numpy==1.21.*"),
        ("numpy=1.21.5=py38h_0", "numpy==1.21.5"),
        ("conda-forge::scipy>=1.5", "scipy>=1.5"),
        ("pytorch=2.1", "torch==2.1.*"),
        ("python=3.8", None),
        ("pip", None),
    ],
)
def test_conda_specs_become_pip_requirements(conda, pip):
    assert _conda_to_pip(conda) == pip


def test_a_conda_file_plan_keeps_the_pip_section_and_notes_another_python(tmp_path):
    spec = tmp_path / "env.yml"
    spec.write_text(
        "name: x\nchannels: [conda-forge]\ndependencies:\n  - python=2.7\n  - numpy=1.21\n"
        "  - pip\n  - pip:\n    - --index-url https://example.org/simple\n    - requests>=2\n"
    )
    env = Environment.from_conda_specification("x", spec)
    plan = plan_packages(env.get_definition())
    assert plan.requirements == ["numpy==1.21.*", "requests>=2"]
    assert plan.pip_options == ["--index-url", "https://example.org/simple"]
    assert plan.from_conda == {"numpy==1.21.*": "numpy=1.21"}
    assert any("python=2.7" in note for note in plan.notes)


def test_installed_distributions_decide_what_is_missing():
    assert unsatisfied(["packaging", "pyyaml>=1", "numpy<0.1", "surely-not-a-package-xyz"]) == [
        "numpy<0.1",
        "surely-not-a-package-xyz",
    ]
    assert unsatisfied(['pywin32; sys_platform == "win32"']) == []


def test_a_satisfied_definition_needs_no_build(tmp_path, monkeypatch):
    monkeypatch.setenv("MLSTUDIO_ENV_CACHE", str(tmp_path))
    env = Environment("fine")
    env.python.conda_dependencies = CondaDependencies.create(
        pip_packages=["scikit-learn"], conda_packages=["pandas"]
    )
    lines: list[str] = []
    result = materialize(env.get_definition(), env.fingerprint(), lines.append)
    assert result.python == sys.executable and result.path is None and not result.built
    assert "no build needed" in lines[-1]
    assert list(tmp_path.iterdir()) == []


def test_a_user_managed_interpreter_that_does_not_exist_is_a_clear_error():
    env = Environment("mine")
    env.python.user_managed_dependencies = True
    env.python.interpreter_path = "/nowhere/bin/python"
    with pytest.raises(Exception, match="does not exist"):
        materialize(env.get_definition(), env.fingerprint())


def test_a_conda_environment_without_conda_says_so(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("CONDA_EXE", raising=False)
    env = Environment.from_existing_conda_environment("c", "my-conda-env")
    with pytest.raises(Exception, match="no conda is installed"):
        materialize(env.get_definition(), env.fingerprint())


def test_pips_reason_names_the_package_and_a_conda_only_one():
    env = Environment("x")
    env.python.conda_dependencies = CondaDependencies.create(conda_packages=["cudatoolkit=11"])
    plan = plan_packages(env.get_definition())
    text = (
        "ERROR: Could not find a version that satisfies the requirement cudatoolkit==11.*\n"
        "ERROR: No matching distribution found for cudatoolkit==11.*\n"
    )
    reason = _pip_reason(text, plan)
    assert "cudatoolkit=11" in reason and "not on PyPI" in reason
    plain = _pip_reason(text.replace("cudatoolkit", "foo"), plan_packages({}))
    assert "foo==11.*" in plain


def test_registered_versions_count_up_only_when_the_definition_changes(local_ws):
    env = Environment("counted")
    env.python.conda_dependencies.add_pip_package("requests")
    assert env.register(local_ws).version == "1"
    assert env.register(local_ws).version == "1"
    env.environment_variables["A"] = "1"
    assert env.register(local_ws).version == "2"
    assert Environment.get(local_ws, "counted", version=1).environment_variables == {}
    assert Environment.get(local_ws, "counted").environment_variables == {"A": "1"}
    listed = Environment.list(local_ws)
    assert "counted" in listed and "mlstudio-sklearn" in listed


def test_cluster_settings_are_checked(local_ws):
    with pytest.raises(ValidationError, match="below min_nodes"):
        AmlCompute.provisioning_configuration(min_nodes=3, max_nodes=1)
    with pytest.raises(ValidationError, match="whole numbers"):
        AmlCompute.provisioning_configuration(max_nodes="many")
    with pytest.raises(ComputeTargetException, match="no compute target named 'gpu'"):
        ComputeTarget(local_ws, "gpu")
    local = ComputeTarget(local_ws, "local")
    assert isinstance(local, LocalCompute)
    local.update(max_nodes=2)
    assert ComputeTarget(local_ws, "local").max_concurrency == 2
