"""The model registry (azureml.core.Model): named models with versions that count up.

A registered version's files are copied to ``models/<name>/<version>/`` in the workspace's
artifact store, so a later change to the run or the local file cannot alter it::

    model = run.register_model("wine_model", "outputs/wine_model.pkl")
    Model(ws, "wine_model").download(target_dir="m")
"""

from __future__ import annotations

import os
import posixpath
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.core._html import table
from jupyter_mlstudio.core._names import check_name
from jupyter_mlstudio.core.webservice.inference_config import InferenceConfig
from jupyter_mlstudio.errors import (
    ConflictError,
    ModelNotFoundError,
    UserErrorException,
    ValidationError,
)

if TYPE_CHECKING:
    from jupyter_mlstudio.core.compute import ComputeTarget
    from jupyter_mlstudio.core.run import Run
    from jupyter_mlstudio.core.webservice import DeploymentConfiguration, Webservice
    from jupyter_mlstudio.core.webservice.package import ModelPackage
    from jupyter_mlstudio.core.workspace import Workspace
    from jupyter_mlstudio.store import ModelRecord
    from jupyter_mlstudio.store.endpoints import AuditEvent

__all__ = ["InferenceConfig", "Model"]


def _new_prefix(name: str) -> str:
    """Where a new version's files go: a fresh folder, so concurrent registrations of one
    name never write into each other's (the version number is given by the store)."""
    return f"models/{name}/{uuid.uuid4().hex}"


class Model:
    """A registered model version. ``Model(ws, name)`` is the latest version."""

    class Framework:
        """Names of model frameworks for ``model_framework``, as in ``azureml``."""

        CUSTOM = "Custom"
        TENSORFLOW = "TensorFlow"
        SCIKITLEARN = "ScikitLearn"
        ONNX = "Onnx"
        TFKERAS = "TfKeras"
        PYTORCH = "PyTorch"
        MULTI = "Multi"

    def __init__(
        self,
        workspace: Workspace,
        name: str | None = None,
        id: str | None = None,
        tags: Any = None,
        properties: Any = None,
        version: int | str | None = None,
        run_id: str | None = None,
        model_framework: str | None = None,
        expand: bool = True,
        **kwargs: Any,
    ) -> None:
        if id is not None:
            name, _, ver = id.partition(":")
            version = ver or version
        if name is None:
            if run_id is None:
                raise ValidationError("Model() needs a name, an id ('name:version') or a run_id.")
            found = workspace._store.models.list_models(run_id=run_id)
            if not found:
                raise ModelNotFoundError(
                    f"No model was registered from run {run_id!r}.", run_id=run_id
                )
            record = found[0]
        else:
            record = workspace._store.models.get_model(
                name, int(version) if version not in (None, "") else None
            )
        self._load(workspace, record)

    def _load(self, workspace: Workspace, record: ModelRecord) -> None:
        self.workspace = workspace
        self.name = record.name
        self.version = record.version
        self.id = f"{record.name}:{record.version}"
        self.run_id = record.run_id
        self.description = record.description
        self.model_framework = record.framework
        self.model_framework_version = record.framework_version
        self.tags = dict(record.tags)
        self.properties = dict(record.properties)
        self.created_time = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created_at))
        self.datasets = list(record.datasets)
        self._artifact_path = record.artifact_path
        self.url = f"{workspace.artifact_root.rstrip('/')}/{record.artifact_path}"

    @classmethod
    def _from_record(cls, workspace: Workspace, record: ModelRecord) -> Model:
        model = object.__new__(cls)
        model._load(workspace, record)
        return model

    # ---- registering ---------------------------------------------------------------------
    @staticmethod
    def register(
        workspace: Workspace,
        model_path: str | os.PathLike[str],
        model_name: str,
        tags: Mapping[str, str] | None = None,
        properties: Mapping[str, str] | None = None,
        description: str | None = None,
        datasets: Sequence[Any] | None = None,
        model_framework: str | None = None,
        model_framework_version: str | None = None,
        child_paths: Any = None,
        sample_input_dataset: Any = None,
        sample_output_dataset: Any = None,
        resource_configuration: Any = None,
        **kwargs: Any,
    ) -> Model:
        """Register a local file or folder as a new version of ``model_name``."""
        check_name("model", model_name)
        source = Path(model_path)
        if not source.exists():
            raise ValidationError(
                f"Cannot register {source}: no such file or folder.",
                hint="Pass the path of the saved model file or folder as model_path.",
                path=str(source),
            )
        prefix = _new_prefix(model_name)
        if source.is_dir():
            workspace._artifacts.put_folder(source, f"{prefix}/{source.name}")
        else:
            workspace._artifacts.put_file(source, f"{prefix}/{source.name}")
        return Model._record(
            workspace,
            model_name,
            prefix,
            None,
            tags,
            properties,
            description,
            datasets,
            model_framework,
            model_framework_version,
        )

    @staticmethod
    def _register_from_run(
        run: Run,
        model_name: str,
        model_path: str | None,
        **options: Any,
    ) -> Model:
        check_name("model", model_name)
        ws = run.experiment.workspace
        names = run.get_file_names()
        wanted = (model_path or "outputs").replace("\\", "/").strip("/")
        matches = [n for n in names if n == wanted or n.startswith(wanted + "/")]
        if not matches and Path(wanted).exists():
            # The file is on this machine but was never uploaded (an interactive run):
            # keep it with the run first, so the model's lineage stays whole.
            if Path(wanted).is_dir():
                run.upload_folder(wanted, wanted)
            else:
                run.upload_file(wanted, wanted)
            matches = [n for n in run.get_file_names() if n == wanted or n.startswith(wanted + "/")]
        if not matches:
            shown = ", ".join(names[:10]) or "none"
            raise ModelNotFoundError(
                f"Run {run.id} has no file or folder {wanted!r} to register as a model.",
                hint=f"Its files are: {shown}. Save the model under outputs/ in the run.",
                run_id=run.id,
                path=wanted,
            )
        prefix = _new_prefix(model_name)
        base = posixpath.dirname(wanted)
        for name in matches:
            rel = posixpath.relpath(name, base) if base else name
            with ws._artifacts.open(f"runs/{run.id}/{name}") as fh:
                ws._artifacts.put_bytes(fh.read(), f"{prefix}/{rel}")
        datasets = options.pop("datasets", None)
        return Model._record(
            ws,
            model_name,
            prefix,
            run.id,
            options.get("tags"),
            options.get("properties"),
            options.get("description"),
            datasets,
            options.get("model_framework"),
            options.get("model_framework_version"),
        )

    @staticmethod
    def _record(
        workspace: Workspace,
        name: str,
        prefix: str,
        run_id: str | None,
        tags: Mapping[str, str] | None,
        properties: Mapping[str, str] | None,
        description: str | None,
        datasets: Sequence[Any] | None,
        framework: str | None,
        framework_version: str | None,
    ) -> Model:
        used = [{"name": str(getattr(d, "name", d))} for d in datasets or []]
        record = workspace._store.models.add_model(
            name,
            prefix,
            run_id=run_id,
            description=description,
            framework=framework,
            framework_version=framework_version,
            tags=tags,
            properties=properties,
            datasets=used,
        )
        _audit(workspace, "register", record.name, record.version, {"run_id": run_id})
        return Model._from_record(workspace, record)

    # ---- finding -------------------------------------------------------------------------
    @staticmethod
    def list(
        workspace: Workspace,
        name: str | None = None,
        tags: Any = None,
        properties: Any = None,
        run_id: str | None = None,
        latest: bool = False,
        **kwargs: Any,
    ) -> list[Model]:
        """Registered models, newest version first; ``tags`` as keys or [key, value] pairs."""
        records = workspace._store.models.list_models(name=name, run_id=run_id, latest=latest)
        models = [Model._from_record(workspace, r) for r in records]
        return [m for m in models if _matches(m.tags, tags) and _matches(m.properties, properties)]

    @staticmethod
    def get_model_path(
        model_name: str, version: int | None = None, _workspace: Workspace | None = None
    ) -> str:
        """Local path of a model's file (or folder), as a scoring script needs it.

        Looks in ``AZUREML_MODEL_DIR``, then ``./azureml-models/<name>/<version>``, then
        ``./<name>``, then the workspace's registry.
        """
        candidates: list[Path] = []
        model_dir = os.environ.get("AZUREML_MODEL_DIR")
        if model_dir:
            root = Path(model_dir)
            # Several models: <dir>/<name>/<version>/; one model: <dir> is <name>/<version>.
            candidates.append(root / model_name)
            if root.parent.name == model_name and (version is None or root.name == str(version)):
                candidates.append(root)
        candidates += [Path("azureml-models") / model_name, Path(model_name)]
        if model_dir:
            candidates.append(Path(model_dir))
        for folder in candidates:
            if not folder.exists():
                continue
            if folder.is_dir():
                numbered = [p for p in folder.iterdir() if p.is_dir() and p.name.isdigit()]
                if numbered and len(numbered) == len(list(folder.iterdir())):
                    if version is not None:
                        folder = folder / str(version)
                        if not folder.exists():
                            continue
                    else:
                        folder = max(numbered, key=lambda p: int(p.name))
            return _single_file(folder)
        ws = _workspace or _workspace_from_context()
        if ws is None:
            raise ModelNotFoundError(
                f"Model {model_name!r} was not found locally and no workspace is known.",
                hint="Run inside a workspace folder, or download the model first.",
                name=model_name,
            )
        model = Model(ws, model_name, version=version)
        local = ws._artifacts.local_path(model._artifact_path)
        if local is not None:
            return _single_file(local)
        target = Path("azureml-models") / model_name / str(model.version)
        return _single_file(Path(model.download(str(target), exist_ok=True)))

    def download(
        self, target_dir: str = ".", exist_ok: bool = False, exists_ok: bool | None = None
    ) -> str:
        """Copy the model's files into ``target_dir``; returns the model's local path."""
        ok = exist_ok if exists_ok is None else exists_ok
        files = self.workspace._artifacts.list(self._artifact_path)
        target = Path(target_dir)
        for rel in files:
            dest = target / rel
            if dest.exists() and not ok:
                raise UserErrorException(
                    f"{dest} exists already.",
                    hint="Pass exist_ok=True to overwrite it.",
                    path=str(dest),
                )
            self.workspace._artifacts.get_file(f"{self._artifact_path}/{rel}", dest)
        tops = {rel.split("/", 1)[0] for rel in files}
        return str(target / tops.pop()) if len(tops) == 1 else str(target)

    def get_sas_urls(self) -> dict[str, str]:
        """Return the URL of each file of the model in the artifact store.

        Unlike ``azureml`` there is no SAS token: each URL is the file's location under the
        workspace's artifact root (a local path or an object-store URL).

        Returns
        -------
        dict of str to str
            The file's path within the model, to its URL.
        """
        return {
            rel: f"{self.url}/{rel}" for rel in self.workspace._artifacts.list(self._artifact_path)
        }

    # ---- changing ------------------------------------------------------------------------
    def add_tags(self, tags: Mapping[str, str]) -> None:
        """Add tags (or change their values); values are stored as strings."""
        self._update(tags={**self.tags, **{k: str(v) for k, v in tags.items()}})

    def remove_tags(self, tags: Sequence[str]) -> None:
        """Remove the tags with these keys (keys not set are ignored)."""
        self._update(tags={k: v for k, v in self.tags.items() if k not in set(tags)})

    def add_properties(self, properties: Mapping[str, str]) -> None:
        """Add properties; values are stored as strings.

        Raises
        ------
        ValidationError
            A property is set already with another value (properties never change; use tags).
        """
        taken = [
            k
            for k in properties
            if k in self.properties and self.properties[k] != str(properties[k])
        ]
        if taken:
            raise ValidationError(
                f"Property {taken[0]!r} of model {self.id} is set already.",
                hint="Properties cannot change; use tags.",
            )
        self._update(properties={**self.properties, **{k: str(v) for k, v in properties.items()}})

    def update(
        self, tags: Mapping[str, str] | None = None, description: str | None = None, **kwargs: Any
    ) -> None:
        """Replace the model's tags, or set its description.

        Parameters
        ----------
        tags : mapping of str to str, optional
            The new tags, replacing all the old ones; ``None`` keeps them.
        description : str, optional
            The new description; ``None`` keeps it.
        """
        self._update(tags=dict(tags) if tags is not None else None, description=description)

    def _update(self, **changes: Any) -> None:
        record = self.workspace._store.models.update_model(self.name, self.version, **changes)
        shown = {k: v for k, v in changes.items() if v is not None}
        action = "tag" if "tags" in shown else "properties" if "properties" in shown else "update"
        _audit(self.workspace, action, self.name, self.version, shown)
        self._load(self.workspace, record)

    def delete(self) -> None:
        """Delete this version (its files stay in the artifact store for lineage).

        Refused while an endpoint serves it: delete or update the endpoint first.
        """
        serving = self.workspace._store.endpoints.endpoints_serving(self.name, self.version)
        if serving:
            raise ConflictError(
                f"Model {self.id} is served by the endpoint(s) {serving}; it cannot be deleted.",
                hint="Delete those web services, or update them to another model version, first.",
                name=self.name,
                version=self.version,
                endpoints=serving,
            )
        self.workspace._store.models.delete_model(self.name, self.version)
        _audit(self.workspace, "delete", self.name, self.version, {})

    # ---- lineage and audit -----------------------------------------------------------------
    @property
    def endpoints(self) -> list[str]:
        """Names of the endpoints serving this version now."""
        return self.workspace._store.endpoints.endpoints_serving(self.name, self.version)

    def get_lineage(self) -> dict[str, Any]:
        """Where this version came from and where it goes: its run, that run's datasets,
        the datasets it was registered with, and the endpoints serving it."""
        run_datasets: list[Any] = []
        if self.run_id:
            from jupyter_mlstudio.core.run import Run

            try:
                details = Run.get(self.workspace, self.run_id).get_details()
                run_datasets = list(details.get("inputDatasets") or [])
            except Exception:  # the run may have been removed; lineage shows what is left
                run_datasets = []
        return {
            "model": self.id,
            "run_id": self.run_id,
            "run_datasets": run_datasets,
            "datasets": list(self.datasets),
            "endpoints": self.endpoints,
        }

    def get_audit_trail(self) -> list[AuditEvent]:
        """Who registered, tagged, deployed, retired or deleted this version, and when."""
        return self.workspace._store.endpoints.list_audit(
            model_name=self.name, model_version=self.version
        )

    # ---- serving -----------------------------------------------------------------------------
    @staticmethod
    def deploy(
        workspace: Workspace,
        name: str,
        models: Sequence[Model],
        inference_config: InferenceConfig | None = None,
        deployment_config: DeploymentConfiguration | None = None,
        deployment_target: ComputeTarget | None = None,
        overwrite: bool = False,
        show_output: bool = False,
    ) -> Webservice:
        """Serve ``models`` with ``inference_config``'s scoring script as the endpoint
        ``name``; returns its :class:`~jupyter_mlstudio.core.webservice.Webservice` (call
        ``wait_for_deployment``). Local, ACI and AKS configurations all run on this machine.
        """
        from jupyter_mlstudio.core.webservice import _deploy

        return _deploy.deploy(
            workspace,
            name,
            models,
            inference_config,
            deployment_config,
            deployment_target,
            overwrite,
            show_output,
        )

    def batch_score(
        self,
        dataset: Any,
        output_datastore: Any = None,
        inference_config: InferenceConfig | None = None,
        output_name: str | None = None,
        mini_batch_size: int = 1000,
        contract: str = "json",
        show_progress: bool = True,
        models: Sequence[Model] | None = None,
    ) -> Any:
        """Score a registered tabular or file ``dataset`` in mini-batches with
        ``inference_config``'s score.py (in a child process, with a progress bar) and register
        the predictions as a new version of the tabular dataset ``output_name`` on
        ``output_datastore``. Call again after a failure to resume where it stopped.

        ``contract='json'`` calls ``run('{"data": rows}')`` as an endpoint would;
        ``contract='mini_batch'`` calls ``run(DataFrame)`` or ``run([file paths])``.
        """
        from jupyter_mlstudio.core.webservice.batch import batch_score

        if inference_config is None:
            raise ValidationError(
                "batch_score needs an inference_config with the scoring script.",
                hint="InferenceConfig(entry_script='score.py', source_directory='.').",
            )
        return batch_score(
            [self, *(models or [])],
            dataset,
            inference_config,
            output_datastore,
            output_name,
            mini_batch_size,
            contract,
            show_progress,
        )

    @staticmethod
    def package(
        workspace: Workspace,
        models: Sequence[Model],
        inference_config: InferenceConfig | None = None,
        generate_dockerfile: bool = False,
        image_name: str | None = None,
        image_label: str | None = None,
        **kwargs: Any,
    ) -> ModelPackage:
        """Write a Docker build context (Dockerfile, entry script, model files, pinned
        requirements) to build with ``docker build`` elsewhere; returns its ModelPackage."""
        from jupyter_mlstudio.core.webservice.package import package

        return package(
            workspace, models, inference_config, generate_dockerfile, image_name, image_label
        )

    def serialize(self) -> dict[str, Any]:
        """Return the model as a JSON-ready dict.

        Returns
        -------
        dict
            ``id``, ``name``, ``version``, ``runId``, ``tags``, ``properties``,
            ``description``, ``createdTime``, ``framework`` and ``url``.
        """
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "runId": self.run_id,
            "tags": self.tags,
            "properties": self.properties,
            "description": self.description,
            "createdTime": self.created_time,
            "framework": self.model_framework,
            "url": self.url,
        }

    def __repr__(self) -> str:
        return (
            f"Model(workspace={self.workspace.name!r}, name={self.name!r}, "
            f"id={self.id!r}, version={self.version}, tags={self.tags})"
        )

    def _repr_html_(self) -> str:
        return table(
            ["Name", "Version", "Run", "Framework", "Tags", "Created"],
            [
                [
                    self.name,
                    self.version,
                    self.run_id or "",
                    self.model_framework or "",
                    self.tags,
                    self.created_time,
                ]
            ],
        )


def _audit(
    workspace: Workspace, action: str, name: str, version: int, details: Mapping[str, Any]
) -> None:
    from jupyter_mlstudio.core.webservice._deploy import actor

    workspace._store.endpoints.audit(
        action, actor=actor(), model_name=name, model_version=version, details=details
    )


def _matches(values: Mapping[str, str], wanted: Any) -> bool:
    if not wanted:
        return True
    for item in wanted.items() if isinstance(wanted, Mapping) else wanted:
        if isinstance(item, str):
            if item not in values:
                return False
        else:
            key, value = item
            if values.get(key) != str(value):
                return False
    return True


def _single_file(folder: Path) -> str:
    if folder.is_dir():
        entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
        if len(entries) == 1 and entries[0].is_file():
            return str(entries[0])
    return str(folder)


def _workspace_from_context() -> Workspace | None:
    from jupyter_mlstudio.core.workspace import Workspace
    from jupyter_mlstudio.errors import WorkspaceNotFoundError

    ws = Workspace._from_env()
    if ws is not None:
        return ws
    try:
        return Workspace.from_config(_quiet=True)
    except WorkspaceNotFoundError:
        return None
