"""``CondaDependencies``: the package list of an environment, as a conda specification."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from jupyter_mlstudio.errors import ValidationError

__all__ = ["CondaDependencies"]

_DEFAULT_PYTHON = "3.11"


class CondaDependencies:
    """Conda and pip packages of an environment (azureml.core.conda_dependencies).

    ``CondaDependencies.create(pip_packages=[...], conda_packages=[...])``; ``save`` and
    ``serialize_to_string`` write the conda YAML that ``from_conda_specification`` reads.
    """

    def __init__(
        self,
        conda_dependencies_file_path: str | os.PathLike[str] | None = None,
        _underlying_structure: dict[str, Any] | None = None,
    ) -> None:
        if conda_dependencies_file_path is not None:
            path = Path(conda_dependencies_file_path)
            try:
                spec = yaml.safe_load(path.read_text()) or {}
            except (OSError, yaml.YAMLError) as exc:
                raise ValidationError(
                    f"The conda file {path} cannot be read: {exc}.",
                    hint="Give a conda environment YAML with 'dependencies:'.",
                    path=str(path),
                ) from exc
        else:
            spec = _underlying_structure or {
                "name": "project_environment",
                "dependencies": [f"python={_DEFAULT_PYTHON}"],
                "channels": ["conda-forge"],
            }
        if not isinstance(spec, dict):
            raise ValidationError("A conda specification must be a YAML mapping.")
        self._spec = spec
        self._spec.setdefault("dependencies", [])

    @staticmethod
    def create(
        pip_indexurl: str | None = None,
        pip_packages: Iterable[str] | None = None,
        conda_packages: Iterable[str] | None = None,
        python_version: str | None = None,
        pin_sdk_version: bool = True,
    ) -> CondaDependencies:
        """Make a specification from package lists.

        Parameters
        ----------
        pip_indexurl : str, optional
            Index to install pip packages from, written as a ``--index-url`` pip option.
        pip_packages : iterable of str, optional
            pip requirement strings, e.g. ``"scikit-learn==1.5.*"``.
        conda_packages : iterable of str, optional
            conda package specs.
        python_version : str, optional
            Python version; 3.11 when not given.
        pin_sdk_version : bool
            Accepted for ``azureml`` compatibility and ignored: unlike ``azureml``, no SDK
            package is added to the list.

        Returns
        -------
        CondaDependencies
            The new specification (conda-forge channel, name ``project_environment``).
        """
        deps = CondaDependencies()
        if python_version:
            deps.set_python_version(python_version)
        for package in conda_packages or ():
            deps.add_conda_package(package)
        for package in pip_packages or ():
            deps.add_pip_package(package)
        if pip_indexurl:
            deps.set_pip_option(f"--index-url {pip_indexurl}")
        return deps

    # ---- reading ---------------------------------------------------------------------------
    def _pip_section(self, create: bool = False) -> list[str] | None:
        for item in self._spec["dependencies"]:
            if isinstance(item, dict) and "pip" in item:
                return item["pip"]
        if create:
            section: list[str] = []
            self._spec["dependencies"].append({"pip": section})
            return section
        return None

    @property
    def conda_packages(self) -> list[str]:
        """The conda packages, without the ``python`` entry."""
        return [
            d
            for d in self._spec["dependencies"]
            if isinstance(d, str) and not d.startswith("python=") and d != "python"
        ]

    @property
    def pip_packages(self) -> list[str]:
        """The pip packages (the ``pip:`` section without its options)."""
        return [p for p in self._pip_section() or [] if not p.startswith("-")]

    @property
    def pip_options(self) -> list[str]:
        """The pip options (entries of the ``pip:`` section that start with ``-``)."""
        return [p for p in self._pip_section() or [] if p.startswith("-")]

    @property
    def python_version(self) -> str | None:
        """The version of the ``python=`` entry, or ``None`` when there is none."""
        for d in self._spec["dependencies"]:
            if isinstance(d, str) and d.startswith("python="):
                return d.split("=", 1)[1]
        return None

    # ---- changing --------------------------------------------------------------------------
    def add_conda_package(self, conda_package: str) -> None:
        """Add a conda package after the others (no change when it is listed)."""
        if conda_package not in self._spec["dependencies"]:
            self._spec["dependencies"].insert(len(self.conda_packages) + 1, conda_package)

    def remove_conda_package(self, conda_package: str) -> None:
        """Remove a conda package, given exactly as listed."""
        self._spec["dependencies"] = [d for d in self._spec["dependencies"] if d != conda_package]

    def add_pip_package(self, pip_package: str) -> None:
        """Add a pip package to the ``pip:`` section (no change when it is listed)."""
        section = self._pip_section(create=True)
        assert section is not None
        if pip_package not in section:
            section.append(pip_package)

    def remove_pip_package(self, pip_package: str) -> None:
        """Remove a pip package, given exactly as listed."""
        section = self._pip_section()
        if section is not None and pip_package in section:
            section.remove(pip_package)

    def set_pip_option(self, pip_option: str) -> None:
        """Add a pip option such as ``--extra-index-url URL`` at the head of ``pip:``."""
        section = self._pip_section(create=True)
        assert section is not None
        if pip_option not in section:
            section.insert(0, pip_option)

    def add_channel(self, channel: str) -> None:
        """Add a conda channel (no change when it is listed)."""
        channels = self._spec.setdefault("channels", [])
        if channel not in channels:
            channels.append(channel)

    def set_python_version(self, version: str) -> None:
        """Set the Python version, replacing any ``python`` entry."""
        deps = [
            d
            for d in self._spec["dependencies"]
            if not (isinstance(d, str) and (d.startswith("python=") or d == "python"))
        ]
        self._spec["dependencies"] = [f"python={version}", *deps]

    # ---- writing -----------------------------------------------------------------------------
    def as_dict(self) -> dict[str, Any]:
        """Return a copy of the specification as a dict (the conda YAML's structure)."""
        import copy

        return copy.deepcopy(self._spec)

    def serialize_to_string(self) -> str:
        """Return the specification as conda environment YAML."""
        return yaml.safe_dump(self._spec, sort_keys=False)

    def save(self, path: str | os.PathLike[str] | None = None) -> str:
        """Write the conda YAML to a file.

        Parameters
        ----------
        path : str or os.PathLike, optional
            Where to write; ``conda_dependencies.yml`` in the current folder by default.

        Returns
        -------
        str
            The path written.
        """
        target = Path(path or "conda_dependencies.yml")
        target.write_text(self.serialize_to_string())
        return str(target)

    save_to_file = save

    def __repr__(self) -> str:
        return self.serialize_to_string()
