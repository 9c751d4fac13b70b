"""The workspace: where a project's experiments, runs, data, environments and models live.

A workspace is a folder with ``.mlstudio/config.json``. By default its metadata is a SQLite
database beside that file and its artifacts a folder beside it; a team points the metadata
at PostgreSQL and the artifacts at an object store, and nothing else changes::

    ws = Workspace.create(name="demo")                       # here, SQLite + local folder
    ws = Workspace.create(name="team", path="/shared/team",
                          metadata_url="postgresql+psycopg://ml@db/team",
                          artifact_root="s3://ml-artifacts/team")
    ws = Workspace.from_config()                              # found from the current folder
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.core._names import check_name
from jupyter_mlstudio.errors import ConflictError, UserErrorException, WorkspaceNotFoundError

if TYPE_CHECKING:
    from jupyter_mlstudio.core.authentication import AbstractAuthentication
    from jupyter_mlstudio.core.compute import ComputeTarget
    from jupyter_mlstudio.core.datastore import Datastore
    from jupyter_mlstudio.core.environment import Environment
    from jupyter_mlstudio.core.experiment import Experiment
    from jupyter_mlstudio.core.model import Model
    from jupyter_mlstudio.core.run import Run
    from jupyter_mlstudio.core.webservice import Webservice
    from jupyter_mlstudio.store import ArtifactStore, Store

__all__ = ["Workspace"]

CONFIG_DIR = ".mlstudio"
CONFIG_FILE = "config.json"
# Searched in each folder from the start folder up to the root, in this order.
_CONFIG_CANDIDATES = (
    f"{CONFIG_DIR}/{CONFIG_FILE}",
    CONFIG_FILE,
    f".azureml/{CONFIG_FILE}",
    f"aml_config/{CONFIG_FILE}",
)
_CLOUD_KEYS = ("subscription_id", "resource_group", "location", "sku", "friendly_name", "tags")


# The process's current workspace, for code running inside a job (see ``_from_env``).
_CURRENT: tuple[str, Workspace] | None = None


def _home() -> Path:
    """Where the list of known workspaces is kept (``MLSTUDIO_HOME`` overrides)."""
    return Path(os.environ.get("MLSTUDIO_HOME") or Path.home() / ".mlstudio")


def _known_workspaces() -> dict[str, str]:
    index = _home() / "workspaces.json"
    try:
        return dict(json.loads(index.read_text()))
    except (FileNotFoundError, ValueError):
        return {}


def _remember(name: str, config_path: Path) -> None:
    index = _home() / "workspaces.json"
    try:
        index.parent.mkdir(parents=True, exist_ok=True)
        known = _known_workspaces()
        known[name] = str(config_path)
        tmp = index.with_suffix(f".tmp-{os.getpid()}")
        tmp.write_text(json.dumps(known, indent=2))
        os.replace(tmp, index)
    except OSError:
        pass  # the index is a convenience for Workspace.get(); a read-only home is fine


class Workspace:
    """A local Azure ML-style workspace.

    ``Workspace(subscription_id, resource_group, workspace_name)`` opens an existing workspace
    by name, as in Azure ML (the cloud arguments are recorded, never required). Use
    :meth:`create`, :meth:`get` or :meth:`from_config` in new code.
    """

    def __init__(
        self,
        subscription_id: str | None = None,
        resource_group: str | None = None,
        workspace_name: str | None = None,
        auth: AbstractAuthentication | None = None,
        *,
        _config: Mapping[str, Any] | None = None,
        _config_path: Path | None = None,
        **kwargs: Any,
    ) -> None:
        if _config is None:
            if workspace_name is None:
                raise UserErrorException(
                    "Workspace() needs a workspace_name.",
                    hint="Use Workspace.from_config(), Workspace.get(name) or "
                    "Workspace.create(name).",
                )
            found = Workspace.get(workspace_name)
            _config, _config_path = found._config, found._config_path
        self._config = dict(_config)
        self._config_path = _config_path
        self.auth = auth
        self.name: str = self._config["workspace_name"]
        self.subscription_id = subscription_id or self._config.get("subscription_id")
        self.resource_group = resource_group or self._config.get("resource_group")
        self.location = self._config.get("location")
        self.tags = dict(self._config.get("tags") or {})
        self.sku = self._config.get("sku", "basic")

    # ---- where things are ----------------------------------------------------------------
    @property
    def path(self) -> Path:
        """The workspace folder (the one holding ``.mlstudio/``)."""
        assert self._config_path is not None
        return (
            self._config_path.parent.parent
            if self._config_path.parent.name in (CONFIG_DIR, ".azureml", "aml_config")
            else self._config_path.parent
        )

    @property
    def metadata_url(self) -> str:
        """SQLAlchemy URL of the metadata database."""
        url = self._config.get("metadata_url")
        return url or f"sqlite:///{self.path / CONFIG_DIR / 'mlstudio.db'}"

    @property
    def artifact_root(self) -> str:
        """fsspec URL (or local folder) under which run files, snapshots and models live."""
        root = self._config.get("artifact_root")
        return root or str(self.path / CONFIG_DIR / "artifacts")

    @cached_property
    def _store(self) -> Store:
        from jupyter_mlstudio.store import open_store

        return open_store(self.metadata_url)

    @cached_property
    def _artifacts(self) -> ArtifactStore:
        from jupyter_mlstudio.store import ArtifactStore

        return ArtifactStore(self.artifact_root, self._config.get("artifact_options"))

    @cached_property
    def _run_logger(self) -> Any:
        from jupyter_mlstudio.core._run_logger import RunLogger

        return RunLogger(self._store.tracking)

    # ---- construction --------------------------------------------------------------------
    @staticmethod
    def create(
        name: str,
        auth: AbstractAuthentication | None = None,
        subscription_id: str | None = None,
        resource_group: str | None = None,
        location: str | None = None,
        create_resource_group: bool = True,
        sku: str = "basic",
        tags: Mapping[str, str] | None = None,
        friendly_name: str | None = None,
        exist_ok: bool = False,
        show_output: bool = True,
        *,
        path: str | os.PathLike[str] | None = None,
        metadata_url: str | None = None,
        artifact_root: str | None = None,
        **kwargs: Any,
    ) -> Workspace:
        """Create a workspace in ``path`` (default: the current folder).

        ``metadata_url`` defaults to SQLite in ``<path>/.mlstudio/mlstudio.db``;
        ``artifact_root`` to ``<path>/.mlstudio/artifacts``. Azure's cloud arguments are
        recorded in the config and never required. With ``exist_ok=True`` an existing
        workspace of the same name in ``path`` is opened instead.
        """
        check_name("workspace", name)
        folder = Path(path or os.getcwd()).expanduser().resolve()
        config_path = folder / CONFIG_DIR / CONFIG_FILE
        if config_path.exists():
            existing = json.loads(config_path.read_text())
            if existing.get("workspace_name") != name:
                raise ConflictError(
                    f"{folder} holds the workspace {existing.get('workspace_name')!r} already.",
                    hint="Choose another folder with path=..., or open that workspace with "
                    "Workspace.from_config().",
                    name=name,
                )
            if not exist_ok:
                raise ConflictError(
                    f"A workspace named {name!r} exists already in {folder}.",
                    hint="Pass exist_ok=True to open it, or use Workspace.from_config().",
                    name=name,
                )
            ws = Workspace(_config=existing, _config_path=config_path, auth=auth)
            ws._store  # noqa: B018 - opening upgrades the schema if needed
            return ws
        config: dict[str, Any] = {"workspace_name": name}
        cloud = {
            "subscription_id": subscription_id,
            "resource_group": resource_group,
            "location": location,
            "sku": sku,
            "friendly_name": friendly_name,
            "tags": dict(tags or {}),
        }
        config.update({k: v for k, v in cloud.items() if v})
        if metadata_url:
            config["metadata_url"] = metadata_url
        if artifact_root:
            config["artifact_root"] = artifact_root
        (folder / CONFIG_DIR).mkdir(parents=True, exist_ok=True)
        ws = Workspace(_config=config, _config_path=config_path, auth=auth)
        properties = {
            "create_resource_group": create_resource_group,
            **{k: v for k, v in cloud.items() if v},
        }
        if auth is not None:
            properties["auth"] = auth.describe()
        info = ws._store.assets.init_workspace(name, properties)
        if info["name"] != name:
            raise ConflictError(
                f"The metadata database {ws._store.db.redacted_url} belongs to the workspace "
                f"{info['name']!r} already.",
                hint="Give each workspace its own database.",
                name=name,
            )
        ws._ensure_defaults()
        ws.write_config(folder)
        _remember(name, config_path)
        if show_output:
            print(f"Created workspace {name!r} in {folder}")
        return ws

    @staticmethod
    def get(
        name: str,
        auth: AbstractAuthentication | None = None,
        subscription_id: str | None = None,
        resource_group: str | None = None,
        location: str | None = None,
        cloud: str = "AzureCloud",
        id: str | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
    ) -> Workspace:
        """Open the workspace called ``name``: found from ``path`` (or the current folder)
        upwards, else from the list of workspaces created on this machine."""
        try:
            ws = Workspace.from_config(path=path, auth=auth, _quiet=True)
            if ws.name == name:
                return ws
        except WorkspaceNotFoundError:
            pass
        known = _known_workspaces().get(name)
        if known and Path(known).exists():
            return Workspace._open(Path(known), auth)
        raise WorkspaceNotFoundError(
            f"There is no workspace named {name!r} here or among the workspaces created on "
            "this machine.",
            hint=f"Create it with Workspace.create(name={name!r}), or open one by its folder "
            "with Workspace.from_config(path=...).",
            name=name,
        )

    @staticmethod
    def from_config(
        path: str | os.PathLike[str] | None = None,
        auth: AbstractAuthentication | None = None,
        _logger: Any = None,
        _file_name: str | None = None,
        *,
        _quiet: bool = False,
    ) -> Workspace:
        """Open the workspace whose config is found from ``path`` (default: the current folder)
        upwards: ``.mlstudio/config.json``, ``config.json``, ``.azureml/config.json``.
        A path to a config file is used as it is."""
        start = Path(path or os.getcwd()).expanduser().resolve()
        if start.is_file():
            return Workspace._open(start, auth)
        names = (_file_name,) if _file_name else _CONFIG_CANDIDATES
        for folder in (start, *start.parents):
            for candidate in names:
                config_path = folder / candidate
                if config_path.is_file():
                    try:
                        config = json.loads(config_path.read_text())
                    except ValueError:
                        continue
                    if "workspace_name" in config:
                        return Workspace._open(config_path, auth)
        raise WorkspaceNotFoundError(
            f"No workspace config was found in {start} or any folder above it.",
            hint="Create a workspace with Workspace.create(name='...'), or pass the folder "
            "that holds it: Workspace.from_config(path=...).",
            path=str(start),
        )

    @staticmethod
    def _open(config_path: Path, auth: AbstractAuthentication | None = None) -> Workspace:
        try:
            config = json.loads(config_path.read_text())
        except (OSError, ValueError) as exc:
            raise WorkspaceNotFoundError(
                f"The workspace config {config_path} cannot be read: {exc}.",
                hint="Fix or remove the file, or create the workspace again.",
                path=str(config_path),
            ) from exc
        if "workspace_name" not in config:
            raise WorkspaceNotFoundError(
                f"{config_path} is not a workspace config (it has no 'workspace_name').",
                path=str(config_path),
            )
        return Workspace(_config=config, _config_path=config_path.resolve(), auth=auth)

    @staticmethod
    def _from_env() -> Workspace | None:
        """The workspace a submitted job runs in, from the variables its launcher set.

        One object per process (the process's current workspace): every
        ``Run.get_context()`` in a job shares its metric buffer, so one ``flush`` writes all.
        """
        global _CURRENT
        config_path = os.environ.get("MLSTUDIO_WORKSPACE_CONFIG")
        if not config_path:
            return None
        if _CURRENT is None or _CURRENT[0] != config_path:
            _CURRENT = (config_path, Workspace._open(Path(config_path)))
        return _CURRENT[1]

    def write_config(
        self, path: str | os.PathLike[str] | None = None, file_name: str | None = None
    ) -> None:
        """Write ``<path>/.mlstudio/<file_name or config.json>`` so ``from_config`` finds it."""
        folder = Path(path or os.getcwd()).expanduser().resolve() / CONFIG_DIR
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / (file_name or CONFIG_FILE)
        config = dict(self._config)
        # A copy written elsewhere must still point at this workspace's data.
        if target.resolve() != (self._config_path or target).resolve():
            config.setdefault("metadata_url", self.metadata_url)
            config.setdefault("artifact_root", self.artifact_root)
        tmp = target.with_suffix(f".tmp-{os.getpid()}")
        tmp.write_text(json.dumps(config, indent=2))
        os.replace(tmp, target)

    def _ensure_defaults(self) -> None:
        """The 'local' compute target and the default datastore every workspace has."""
        from jupyter_mlstudio.core.compute import LocalCompute
        from jupyter_mlstudio.core.datastore import DEFAULT_DATASTORE

        LocalCompute._ensure(self)
        assets = self._store.assets
        if not any(d.name == DEFAULT_DATASTORE for d in assets.list_datastores()):
            root = self.artifact_root.rstrip("/") + "/datastores/" + DEFAULT_DATASTORE
            assets.register_datastore(DEFAULT_DATASTORE, "AzureBlob", root, {}, make_default=True)

    # ---- what it holds -------------------------------------------------------------------
    @property
    def experiments(self) -> dict[str, Experiment]:
        """Active experiments by name."""
        from jupyter_mlstudio.core.experiment import Experiment

        return {e.name: e for e in Experiment.list(self)}

    @property
    def compute_targets(self) -> dict[str, ComputeTarget]:
        """The compute targets by name, typed (``local`` is always there)."""
        from jupyter_mlstudio.core.compute import ComputeTarget

        return {target.name: target for target in ComputeTarget.list(self)}

    @property
    def environments(self) -> dict[str, Environment]:
        """The curated environments and the latest version of each registered one, by name."""
        from jupyter_mlstudio.core.environment import Environment

        return Environment.list(self)

    @property
    def datastores(self) -> dict[str, Datastore]:
        """The registered datastores by name (``workspaceblobstore`` is always there)."""
        from jupyter_mlstudio.core.datastore import Datastore

        return {
            r.name: Datastore._from_record(self, r) for r in self._store.assets.list_datastores()
        }

    @property
    def datasets(self) -> dict[str, Any]:
        """The latest version of each registered dataset, by name."""
        from jupyter_mlstudio.core.dataset import Dataset

        return Dataset.get_all(self)

    @property
    def models(self) -> dict[str, Model]:
        """The latest version of each registered model, by name."""
        from jupyter_mlstudio.core.model import Model

        return {m.name: m for m in Model.list(self, latest=True)}

    @property
    def webservices(self) -> dict[str, Webservice]:
        """The deployed endpoints (web services), by name."""
        from jupyter_mlstudio.core.webservice import Webservice

        return {w.name: w for w in Webservice.list(self)}

    def get_default_datastore(self) -> Datastore:
        """Return the default datastore (``workspaceblobstore`` unless changed)."""
        from jupyter_mlstudio.core.datastore import Datastore

        return Datastore.get_default(self)

    def set_default_datastore(self, name: str) -> None:
        """Make the datastore ``name`` the default one.

        Raises
        ------
        DatastoreNotFoundError
            The workspace has no datastore of that name.
        """
        record = self._store.assets.get_datastore(name)
        self._store.assets.register_datastore(
            record.name,
            record.type,
            record.root,
            record.options,
            make_default=True,
            overwrite=True,
        )

    def get_run(self, run_id: str) -> Run:
        """Return the run with id ``run_id``, in whichever experiment it is.

        Raises
        ------
        RunNotFoundError
            The workspace has no run of that id.
        """
        from jupyter_mlstudio.core.run import Run

        return Run.get(self, run_id)

    def get_details(self) -> dict[str, Any]:
        """Return the workspace's details, in the shape of ``azureml``'s ``Workspace.get_details``.

        Returns
        -------
        dict
            ``id`` and ``workspaceid`` (the workspace's folder), ``name``, ``location``
            (``local`` unless set), ``type`` (``local``), ``friendlyName``, ``creationTime``,
            ``metadataUrl`` (password hidden), ``artifactRoot``, ``host``, and the Azure keys
            (``subscription_id``, ``resource_group``...) the workspace's settings hold.
        """
        info = self._store.assets.workspace_info() or {}
        return {
            "id": str(self.path),
            "name": self.name,
            "location": self.location or "local",
            "type": "local",
            "workspaceid": str(self.path),
            "friendlyName": self._config.get("friendly_name") or self.name,
            "creationTime": info.get("created_at"),
            "metadataUrl": self._store.db.redacted_url,
            "artifactRoot": self.artifact_root,
            "host": socket.gethostname(),
            **{k: self._config[k] for k in _CLOUD_KEYS if k in self._config},
        }

    def get_mlflow_tracking_uri(self) -> str:
        """The metadata URL (jupyter_mlstudio keeps its own schema, not MLflow's)."""
        return self.metadata_url

    def delete(self, delete_dependent_resources: bool = False, no_wait: bool = False) -> None:
        """Refuse: a workspace is not deleted from code (its data is yours to keep).

        Raises
        ------
        UserErrorException
            Always; remove the workspace's ``.mlstudio`` folder yourself to delete it.
        """
        raise UserErrorException(
            "Deleting a workspace from code is not supported: its data is yours to keep.",
            hint=f"Remove the folder {self.path / CONFIG_DIR} yourself to delete it.",
        )

    def __repr__(self) -> str:
        return f"Workspace.create(name={self.name!r}, path={str(self.path)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Workspace) and (other.name, other.metadata_url) == (
            self.name,
            self.metadata_url,
        )

    def __hash__(self) -> int:
        return hash((self.name, self.metadata_url))

    def _repr_html_(self) -> str:
        from jupyter_mlstudio.core._html import table

        return table(
            ["Name", "Folder", "Metadata", "Artifacts"],
            [[self.name, str(self.path), self._store.db.redacted_url, self.artifact_root]],
        )
