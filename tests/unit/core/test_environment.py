from __future__ import annotations

import pytest

from jupyter_mlstudio.core.conda_dependencies import CondaDependencies
from jupyter_mlstudio.core.environment import Environment
from jupyter_mlstudio.errors import ValidationError


def test_conda_dependencies_write_what_from_conda_specification_reads(tmp_path):
    deps = CondaDependencies.create(
        pip_packages=["joblib"], conda_packages=["scikit-learn"], python_version="3.11"
    )
    deps.add_pip_package("pandas")
    path = deps.save(tmp_path / "env.yml")
    env = Environment.from_conda_specification("e", path)
    assert env.python.conda_dependencies.conda_packages == ["scikit-learn"]
    assert env.python.conda_dependencies.pip_packages == ["joblib", "pandas"]
    assert env.python.conda_dependencies.python_version == "3.11"


def test_fingerprint_changes_with_the_definition_not_the_name():
    a, b = Environment("a"), Environment("b")
    assert a.fingerprint() == b.fingerprint()
    b.environment_variables["X"] = "1"
    assert a.fingerprint() != b.fingerprint()


def test_pip_requirements_skip_comments(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text("numpy>=1  # arrays\n\n# nothing\npandas\n")
    env = Environment.from_pip_requirements("e", req)
    assert env.python.conda_dependencies.pip_packages == ["numpy>=1", "pandas"]


def test_environment_names_are_checked():
    with pytest.raises(ValidationError, match="not a valid environment name"):
        Environment("has space")
