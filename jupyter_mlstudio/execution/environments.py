"""Materializing an environment definition: the Python a job, step, trial or endpoint runs in.

A definition whose packages this Python already has (checked against the installed
distributions) needs no build and runs here. Otherwise a virtual environment is built once
per definition fingerprint under ``$MLSTUDIO_HOME/envs/<fingerprint>`` (``MLSTUDIO_ENV_CACHE``
overrides), with ``uv`` when it is on PATH, else ``python -m venv`` + this Python's pip, and
shared by every run that uses the same definition. A file lock makes concurrent runs build it
once. The venv is layered on this Python: its own site-packages come first, then ours (so the
SDK, ``Run.get_context()`` and ipykernel work inside it), and packages the definition pins
override ours. An ipykernel kernelspec is registered for it, so notebooks and papermill steps
can run in it.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shlex
import shutil
import site
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from jupyter_mlstudio.errors import UserErrorException

__all__ = [
    "EnvironmentBuildError",
    "MaterializedEnvironment",
    "PackagePlan",
    "environment_cache",
    "materialize",
    "plan_packages",
]

# Conda package names whose PyPI distribution is called something else.
_CONDA_TO_PYPI = {
    "pytorch": "torch",
    "py-xgboost": "xgboost",
    "pytables": "tables",
    "matplotlib-base": "matplotlib",
    "python-dateutil": "python-dateutil",
    "pyyaml": "PyYAML",
}
# Conda packages that are part of any Python (or of conda itself), never installed.
_CONDA_BUILTIN = {"python", "pip", "setuptools", "wheel", "conda", "ca-certificates", "openssl"}
_READY = ".mlstudio-ready"


class EnvironmentBuildError(UserErrorException):
    """Building an environment failed; ``log`` holds the installer's output."""


@dataclass
class PackagePlan:
    """What a definition asks pip for: requirements, pip options, and notes on the rest."""

    requirements: list[str] = field(default_factory=list)
    pip_options: list[str] = field(default_factory=list)
    # requirement -> the conda spec it came from, to explain a failure to find it on PyPI.
    from_conda: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class MaterializedEnvironment:
    """Where a definition runs: the interpreter, the venv (None: this Python) and its kernel."""

    python: str
    path: Path | None
    kernel_name: str
    built: bool  # True when this call built the venv (False: reused, or not needed)
    message: str
    seconds: float = 0.0


def environment_cache() -> Path:
    """The folder that holds built environments on this machine."""
    root = os.environ.get("MLSTUDIO_ENV_CACHE")
    if root:
        return Path(root)
    home = Path(os.environ.get("MLSTUDIO_HOME") or Path.home() / ".mlstudio")
    return home / "envs"


def _conda_to_pip(spec: str) -> str | None:
    """``numpy=1.21`` -> ``numpy==1.21.*``; ``conda-forge::scipy>=1`` -> ``scipy>=1``."""
    spec = spec.split("::", 1)[-1].strip()
    match = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", spec)
    if not match:
        return None
    name, version = match.group(1), match.group(2).strip()
    if name.lower() in _CONDA_BUILTIN:
        return None
    name = _CONDA_TO_PYPI.get(name.lower(), name)
    if version.startswith("=") and not version.startswith("=="):
        version = version[1:]
    if version and (version[0].isdigit() or version[0] == "*"):
        version = version.split("=")[0].split()[0]  # drop a conda build string
        exact = "*" in version or version.count(".") >= 2
        version = f"=={version}" if exact else f"=={version}.*"
    return f"{name}{version}"


def plan_packages(definition: dict[str, Any]) -> PackagePlan:
    """The pip requirements of an environment definition (``Environment.get_definition()``)."""
    plan = PackagePlan()
    deps = ((definition.get("python") or {}).get("condaDependencies") or {}).get(
        "dependencies"
    ) or []
    for item in deps:
        if isinstance(item, dict):
            for entry in item.get("pip") or []:
                entry = str(entry).strip()
                if entry.startswith("-"):
                    plan.pip_options.extend(shlex.split(entry))
                elif entry:
                    plan.requirements.append(entry)
        elif isinstance(item, str):
            text = item.strip()
            if text.startswith("python") and re.match(r"^python\s*(=|$)", text):
                wanted = text.partition("=")[2].lstrip("=")
                here = f"{sys.version_info.major}.{sys.version_info.minor}"
                if wanted and not (here + ".").startswith(wanted.rstrip(".*") + "."):
                    plan.notes.append(
                        f"The definition asks for python={wanted}; it runs on Python {here} "
                        "(this machine's Python; no conda is used to make another one)."
                    )
                continue
            requirement = _conda_to_pip(text)
            if requirement:
                plan.requirements.append(requirement)
                plan.from_conda[requirement] = text
    return plan


def unsatisfied(requirements: list[str]) -> list[str]:
    """The requirements this Python's installed distributions do not meet."""
    missing = []
    for text in requirements:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            missing.append(text)  # a URL, a path, an editable: pip has to look at it
            continue
        if req.marker is not None and not req.marker.evaluate():
            continue
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            missing.append(text)
            continue
        if req.url or not req.specifier.contains(version, prereleases=True):
            missing.append(text)
    return missing


def kernel_name_for(fingerprint: str) -> str:
    return f"mlstudio-env-{fingerprint[:12]}"


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # released when the file closes, or the process dies
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def materialize(
    definition: dict[str, Any],
    fingerprint: str,
    log: Callable[[str], None] = lambda line: None,
) -> MaterializedEnvironment:
    """Make the environment ``definition`` runnable on this machine and say where.

    ``log`` receives progress lines (the build's own output goes to ``build.log`` in the
    environment's folder). Raises :class:`EnvironmentBuildError` with the installer's reason
    when the build fails; a failed build is not cached, the next run tries again.
    """
    started = time.perf_counter()
    py = definition.get("python") or {}
    name = definition.get("name") or "environment"
    if py.get("userManagedDependencies"):
        return _user_managed(py, started)
    plan = plan_packages(definition)
    for note in plan.notes:
        log(note)
    missing = unsatisfied(plan.requirements)
    if not missing and not plan.pip_options:
        what = ", ".join(plan.requirements) or "no extra packages"
        message = (
            f"Environment {name!r} is satisfied by this Python ({sys.executable}: {what}); "
            "no build needed."
        )
        log(message)
        return MaterializedEnvironment(
            sys.executable, None, "python3", False, message, time.perf_counter() - started
        )
    folder = environment_cache() / fingerprint[:24]
    python = folder / "bin" / "python"
    with file_lock(environment_cache() / f"{fingerprint[:24]}.lock"):
        if (folder / _READY).is_file() and python.exists():
            message = f"Environment {name!r}: reusing the built environment {folder}."
            log(message)
            return MaterializedEnvironment(
                str(python),
                folder,
                kernel_name_for(fingerprint),
                False,
                message,
                time.perf_counter() - started,
            )
        log(f"Building environment {name!r} in {folder}: this Python lacks {', '.join(missing)}.")
        _build(folder, plan, name, log)
        kernel = _register_kernel(folder, fingerprint, name)
        (folder / "environment.json").write_text(
            json.dumps(
                {"name": name, "fingerprint": fingerprint, "definition": definition}, indent=2
            )
        )
        (folder / _READY).write_text(str(time.time()))
    seconds = time.perf_counter() - started
    message = f"Environment {name!r} built in {seconds:.1f} s ({folder}); kernel {kernel!r}."
    log(message)
    return MaterializedEnvironment(str(python), folder, kernel, True, message, seconds)


def _user_managed(py: dict[str, Any], started: float) -> MaterializedEnvironment:
    conda_env = py.get("baseCondaEnvironment")
    if conda_env:
        python = _conda_environment_python(conda_env)
        return MaterializedEnvironment(
            python, Path(python).parent.parent, "python3", False,
            f"Using the existing conda environment {conda_env!r} ({python}).",
            time.perf_counter() - started,
        )  # fmt: skip
    path = py.get("interpreterPath") or "python"
    python = sys.executable if path == "python" else path
    if shutil.which(python) is None and not Path(python).is_file():
        raise EnvironmentBuildError(
            f"The environment's interpreter {python!r} does not exist.",
            hint="Set env.python.interpreter_path to a Python on this machine, or set "
            "env.python.user_managed_dependencies = False to have the packages installed.",
        )
    return MaterializedEnvironment(
        python, None, "python3", False,
        f"User-managed environment: running {python} as it is.",
        time.perf_counter() - started,
    )  # fmt: skip


def _conda_environment_python(conda_env: str) -> str:
    candidate = Path(conda_env)
    if (candidate / "bin" / "python").exists():
        return str(candidate / "bin" / "python")
    conda = shutil.which("conda") or shutil.which("mamba") or os.environ.get("CONDA_EXE")
    if not conda:
        raise EnvironmentBuildError(
            f"The conda environment {conda_env!r} cannot be used: no conda is installed on "
            "this machine.",
            hint="Install conda (or give the environment's folder), or describe the packages "
            "with Environment.from_pip_requirements / CondaDependencies so a venv is built.",
        )
    out = subprocess.run([conda, "env", "list", "--json"], capture_output=True, text=True)
    for prefix in json.loads(out.stdout or "{}").get("envs", []):
        if Path(prefix).name == conda_env and (Path(prefix) / "bin" / "python").exists():
            return str(Path(prefix) / "bin" / "python")
    raise EnvironmentBuildError(
        f"There is no conda environment named {conda_env!r}.",
        hint="`conda env list` shows the ones there are.",
    )


def _build(folder: Path, plan: PackagePlan, name: str, log: Callable[[str], None]) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    build_log = folder.parent / f"{folder.name}.build.log"
    uv = shutil.which("uv")
    with build_log.open("w") as out:

        def run(cmd: list[str]) -> int:
            out.write(f"$ {shlex.join(cmd)}\n")
            out.flush()
            return subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT).returncode

        if uv:
            code = run([uv, "venv", "--python", sys.executable, str(folder)])
        else:
            code = run([sys.executable, "-m", "venv", "--without-pip", str(folder)])
        if code != 0:
            _fail(folder, build_log, f"Creating the virtual environment for {name!r} failed.")
        _layer_on_this_python(folder)
        target = str(folder / "bin" / "python")
        installer = (
            [uv, "pip", "install", "--python", target]
            if uv
            else [sys.executable, "-m", "pip", "--python", target, "install"]
        )
        code = run([*installer, *plan.pip_options, *plan.requirements])
    text = build_log.read_text(errors="replace")
    if folder.is_dir():  # the log is kept with the environment
        shutil.copyfile(build_log, folder / "build.log")
    for line in text.splitlines():
        log(f"  {line}")
    if code != 0:
        _fail(folder, build_log, _pip_reason(text, plan), text)


def _layer_on_this_python(folder: Path) -> None:
    """Put this Python's site-packages after the venv's own (a .pth ``import`` line runs
    ``site.addsitedir`` so editable installs there keep working)."""
    purelib = next((folder / "lib").glob("python*/site-packages"))
    ours = [p for p in site.getsitepackages() if Path(p).is_dir()]
    lines = [f"import site; site.addsitedir({p!r})" for p in ours]
    (purelib / "_mlstudio_base.pth").write_text("\n".join(lines) + "\n")


def _pip_reason(text: str, plan: PackagePlan) -> str:
    """The installer's own words for why it failed, naming the package."""
    errors = [ln.strip() for ln in text.splitlines() if re.match(r"^\s*(ERROR|error)\b", ln)]
    match = re.search(r"No matching distribution found for (\S+)", text) or re.search(
        r"Because (\S+) was not found in the package registry", text
    )
    if match:
        failed = match.group(1)
        for req, conda_spec in plan.from_conda.items():
            named = failed == req or failed.startswith(req.split("=")[0].split(">")[0])
            if named and not shutil.which("conda"):
                return (
                    f"The conda package {conda_spec!r} is not on PyPI (pip: no matching "
                    f"distribution found for {failed}), and no conda is installed here "
                    "to install it."
                )
        return f"pip found no distribution for {failed}: {' '.join(errors[-2:]) or match.group(0)}"
    if errors:
        return " ".join(errors[-3:])[:1500]
    tail = [ln for ln in text.strip().splitlines() if ln.strip()][-3:]
    return "Installing the packages failed: " + " ".join(tail)[:1500]


def _fail(folder: Path, build_log: Path, reason: str, text: str | None = None) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    raise EnvironmentBuildError(
        f"Building the environment failed: {reason}",
        hint="Fix the package list (name and version) and submit again; the full installer "
        f"output is in {build_log} and in the run's logs/environment_build.txt.",
        log=text if text is not None else build_log.read_text(errors="replace"),
    )


def _register_kernel(folder: Path, fingerprint: str, name: str) -> str:
    """A kernelspec for the venv: in the venv (on JUPYTER_PATH for runs) and in the user's
    Jupyter data folder (so JupyterLab lists it)."""
    kernel = kernel_name_for(fingerprint)
    spec = {
        "argv": [str(folder / "bin" / "python"), "-m", "ipykernel_launcher", "-f",
                 "{connection_file}"],
        "display_name": f"Python ({name}, mlstudio)",
        "language": "python",
        "metadata": {"mlstudio_environment": name, "fingerprint": fingerprint},
    }  # fmt: skip
    places = [folder / "share" / "jupyter" / "kernels" / kernel]
    try:
        from jupyter_core.paths import jupyter_data_dir

        places.append(Path(jupyter_data_dir()) / "kernels" / kernel)
    except ImportError:
        pass
    for place in places:
        try:
            place.mkdir(parents=True, exist_ok=True)
            (place / "kernel.json").write_text(json.dumps(spec, indent=1))
        except OSError:
            pass  # a read-only Jupyter data folder: the venv's own copy is enough for runs
    return kernel
