"""Model.package: a Docker build context for an endpoint, to build elsewhere.

``Model.package(ws, [model], inference_config, image_name="wine")`` writes, under
``<workspace>/.mlstudio/packages/<image_name>-<label>/``::

    Dockerfile          python:3.11-slim, pip install -r requirements.txt, the app, the models
    requirements.txt    every requirement pinned (to the version installed here when unpinned)
    app/                a copy of the source directory with the entry script
    azureml-models/     <model>/<version>/<files>
    README.md           how to build and run it

``docker build -t wine .`` in that folder makes an image serving ``/score`` on port 5001 with
``jupyter_mlstudio.serving.standalone``. No Docker engine is needed to write it.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.errors import ValidationError

if TYPE_CHECKING:
    from jupyter_mlstudio.core.model import InferenceConfig, Model
    from jupyter_mlstudio.core.workspace import Workspace

__all__ = ["ModelPackage", "package"]

PORT = 5001
# What the standalone scoring server needs besides the user's own requirements.
_SERVING_REQUIREMENTS = ("jupyter_mlstudio", "starlette", "uvicorn[standard]", "orjson", "numpy")


class ModelPackage:
    """A written build context; ``location`` is its folder."""

    def __init__(self, workspace: Workspace, location: Path, image_name: str, label: str) -> None:
        self.workspace = workspace
        self.location = str(location)
        self.image_name = image_name
        self.image_label = label
        self.state = "Succeeded"

    def wait_for_creation(self, show_output: bool = False) -> None:
        """The context is written at once; with ``show_output``, say how to build it."""
        if show_output:
            print(
                f"Package written to {self.location}; build it with: "
                f"docker build -t {self.image_name}:{self.image_label} {self.location}"
            )

    def save(self, output_directory: str) -> None:
        """Copy the build context to ``output_directory``."""
        shutil.copytree(self.location, output_directory, dirs_exist_ok=True)

    def get_container_registry(self) -> None:
        """No registry: the image is built and pushed wherever you run ``docker build``."""
        return None

    def serialize(self) -> dict[str, Any]:
        """Return ``location``, ``imageName``, ``imageLabel`` and ``state`` as a dict."""
        return {
            "location": self.location,
            "imageName": self.image_name,
            "imageLabel": self.image_label,
            "state": self.state,
        }

    def __repr__(self) -> str:
        return (
            f"ModelPackage(location={self.location!r}, image={self.image_name}:{self.image_label})"
        )


def pin(requirement: str) -> str:
    """``requirement`` with a version: as given when it has one, else the installed one."""
    req = requirement.strip()
    if not req or req.startswith(("-", "#")) or re.search(r"[=<>~!@]", req):
        return req
    name = re.split(r"[\[;\s]", req, maxsplit=1)[0]
    try:
        version = metadata.version(name)
    except metadata.PackageNotFoundError:
        # Conda names differ from pip's sometimes; say so rather than guess.
        return f"{req}  # not installed here: pin it yourself"
    extras = req[len(name) :].split(";")[0].strip()
    return f"{name}{extras}=={version}"


def package(
    workspace: Workspace,
    models: Sequence[Model],
    inference_config: InferenceConfig | None,
    generate_dockerfile: bool,
    image_name: str | None,
    image_label: str | None,
) -> ModelPackage:
    """Write a Docker build context for serving ``models``; the engine of :meth:`Model.package`.

    Unlike ``azureml``, no image is built and no registry is used: the folder
    ``<workspace>/.mlstudio/packages/<image_name>-<image_label>/`` holds a Dockerfile,
    pinned requirements, the source folder, the model files and a README; build it with
    ``docker build`` wherever Docker runs. A folder of the same name is replaced.

    Parameters
    ----------
    workspace : Workspace
        The workspace of the models.
    models : sequence of Model
        The models to include.
    inference_config : InferenceConfig
        The scoring script and its requirements.
    generate_dockerfile : bool
        Accepted for ``azureml`` compatibility: the Dockerfile is always written.
    image_name : str, optional
        The image name; the models' names joined by ``-`` (60 characters at most) by default.
    image_label : str, optional
        The image label; the current time (``YYYYmmddHHMMSS``) by default.

    Returns
    -------
    ModelPackage
        The written context (``location`` is its folder).

    Raises
    ------
    ValidationError
        No ``inference_config``.
    """
    from jupyter_mlstudio.core.webservice._deploy import resolve_models

    if inference_config is None:
        raise ValidationError(
            "Model.package needs an inference_config with the scoring script.",
            hint="InferenceConfig(entry_script='score.py', source_directory='.').",
        )
    resolved = resolve_models(workspace, models)
    name = image_name or "-".join(m.name for m in resolved)[:60]
    label = image_label or time.strftime("%Y%m%d%H%M%S")
    root = workspace.path / ".mlstudio" / "packages" / f"{name}-{label}"
    if root.exists():
        shutil.rmtree(root)
    app = root / "app"
    inference = inference_config.to_dict()
    if inference["source_directory"]:
        shutil.copytree(
            inference["source_directory"],
            app,
            ignore=shutil.ignore_patterns(".git", "__pycache__", ".ipynb_checkpoints", ".mlstudio"),
        )
        entry = inference["entry_script"]
    else:
        app.mkdir(parents=True)
        shutil.copy2(inference_config.entry_script_path, app)
        entry = inference_config.entry_script_path.name
    for model in resolved:
        model.download(
            str(root / "azureml-models" / model.name / str(model.version)), exist_ok=True
        )
    model_dir = (
        f"/var/azureml-app/azureml-models/{resolved[0].name}/{resolved[0].version}"
        if len(resolved) == 1
        else "/var/azureml-app/azureml-models"
    )
    wanted = [*inference_config.requirements(), *_SERVING_REQUIREMENTS]
    seen: set[str] = set()
    lines = []
    for req in wanted:
        key = re.split(r"[\[=<>~!;\s]", req, maxsplit=1)[0].lower().replace("_", "-")
        if key and key not in seen:
            seen.add(key)
            lines.append(pin(req))
    (root / "requirements.txt").write_text("\n".join(lines) + "\n")
    env_vars = "".join(
        f"ENV {k}={_quote(v)}\n" for k, v in inference_config.environment_variables().items()
    )
    (root / "Dockerfile").write_text(
        f"# Built by jupyter_mlstudio Model.package for {', '.join(m.id for m in resolved)}\n"
        "FROM python:3.11-slim\n"
        "WORKDIR /var/azureml-app\n"
        "COPY requirements.txt .\n"
        "RUN pip install --no-cache-dir -r requirements.txt\n"
        "COPY azureml-models /var/azureml-app/azureml-models\n"
        "COPY app /var/azureml-app/app\n"
        f"ENV AZUREML_MODEL_DIR={model_dir}\n"
        f"ENV MLSTUDIO_MODEL_DIR={model_dir}\n"
        f"ENV AZUREML_ENTRY_SCRIPT={entry}\n"
        f"{env_vars}"
        f"EXPOSE {PORT}\n"
        'CMD ["python", "-m", "jupyter_mlstudio.serving.standalone", '
        f'"--source-dir", "/var/azureml-app/app", "--entry-script", "{entry}", '
        f'"--port", "{PORT}", "--name", "{name}"]\n'
    )
    (root / "README.md").write_text(
        f"# {name}:{label}\n\n"
        f"Models: {', '.join(m.id for m in resolved)}. Entry script: app/{entry}.\n\n"
        f"    docker build -t {name}:{label} .\n"
        f"    docker run -p {PORT}:{PORT} -e MLSTUDIO_SCORING_KEY=<a key> {name}:{label}\n"
        f"    curl -H 'Authorization: Bearer <a key>' -d '{{...}}' localhost:{PORT}/score\n\n"
        "Without MLSTUDIO_SCORING_KEY the container answers without a key.\n"
    )
    result = ModelPackage(workspace, root, name, label)
    result.generate_dockerfile = generate_dockerfile  # type: ignore[attr-defined]
    return result


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
