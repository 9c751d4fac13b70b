"""An endpoint's runtime folder: ``<workspace>/.mlstudio/endpoints/<name>/``.

::

    spec.json            what the supervisor runs (serving/spec.py)
    state.json           what it reports
    keys.json            SHA-256 digests of the keys, and whether auth is on (mode 0600)
    logs/endpoint.log    supervisor and worker output
    gen-<n>/<deployment>/src/             a copy of the source directory
    gen-<n>/<deployment>/azureml-models/  <model>/<version>/<files>

Each update is a new generation folder, so the old workers keep their files until they stop.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.serving.keys import KeySealer
from jupyter_mlstudio.serving.spec import DeploymentSpec, write_json_atomic

if TYPE_CHECKING:
    from jupyter_mlstudio.core.model import Model
    from jupyter_mlstudio.core.workspace import Workspace

_IGNORED = shutil.ignore_patterns(".git", "__pycache__", ".ipynb_checkpoints", ".mlstudio")


def endpoints_root(ws: Workspace) -> Path:
    return ws.path / ".mlstudio" / "endpoints"


def runtime_dir(ws: Workspace, name: str) -> Path:
    return endpoints_root(ws) / name


def sealer(ws: Workspace) -> KeySealer:
    return KeySealer(ws.path / ".mlstudio" / "secrets" / "endpoint-keys.key")


def write_keys_file(folder: Path, digests: Sequence[str], auth_enabled: bool) -> None:
    write_json_atomic(
        folder / "keys.json",
        {"auth_enabled": bool(auth_enabled), "digests": list(digests)},
        mode=0o600,
    )


def prepare_deployment(
    folder: Path,
    generation: int,
    deployment: str,
    models: Sequence[Model],
    inference: Mapping[str, Any],
    workers: int,
    traffic: int = 100,
) -> DeploymentSpec:
    """Copy the source folder and the models' files for one deployment of one generation."""
    base = folder / f"gen-{generation}" / deployment
    if base.exists():
        shutil.rmtree(base)
    src = base / "src"
    source_directory = inference.get("source_directory")
    entry = Path(inference["entry_script"])
    if source_directory:
        shutil.copytree(source_directory, src, ignore=_IGNORED)
        entry_rel = str(entry)
    else:
        src.mkdir(parents=True)
        script = entry if entry.is_absolute() else Path.cwd() / entry
        shutil.copy2(script, src / script.name)
        entry_rel = script.name
    models_root = base / "azureml-models"
    for model in models:
        model.download(str(models_root / model.name / str(model.version)), exist_ok=True)
    if len(models) == 1:
        model_dir = models_root / models[0].name / str(models[0].version)
    else:
        model_dir = models_root
    model_dir.mkdir(parents=True, exist_ok=True)
    python = None
    if inference.get("environment_definition"):
        from jupyter_mlstudio.execution.environments import materialize

        # Built once per definition (or found satisfied by this Python) before workers start.
        python = materialize(
            inference["environment_definition"], inference["environment_fingerprint"]
        ).python
    return DeploymentSpec(
        python=None if python == sys.executable else python,
        name=deployment,
        source_dir=str(src),
        entry_script=entry_rel,
        model_dir=str(model_dir),
        workers=workers,
        traffic=traffic,
        env=dict(inference.get("environment_variables") or {}),
        sample_input=inference.get("sample_input"),
    )


def remove_generations(folder: Path, keep: int) -> None:
    for old in folder.glob("gen-*"):
        if old.name != f"gen-{keep}":
            shutil.rmtree(old, ignore_errors=True)
