"""Datasets and data references that a job's arguments name: what the job needs on disk,
what its run records as inputs, and the lineage to store once the run exists."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace
    from jupyter_mlstudio.data.dataset_consumption_config import DatasetConsumptionConfig


def output_placeholder(name: str) -> str:
    return "${{outputs." + name + "}}"


def placeholder(name: str) -> str:
    """What an argument holds until the job's supervisor puts the input's folder there."""
    return "${{inputs." + name + "}}"


@dataclass
class JobInputs:
    """Collected while a job's arguments are converted."""

    described: dict[str, dict[str, Any]] = field(default_factory=dict)  # run definition
    to_materialize: list[dict[str, Any]] = field(default_factory=list)  # for the supervisor
    lineage: list[tuple[int, str, str]] = field(default_factory=list)  # (dataset id, name, mode)
    outputs: list[str] = field(default_factory=list)  # folders the job must fill (see job.py)

    def to_json(self) -> dict[str, Any]:
        """All of it as JSON-ready data (references to secrets, never secrets)."""
        return {
            "described": self.described,
            "to_materialize": self.to_materialize,
            "lineage": [list(item) for item in self.lineage],
            "outputs": self.outputs,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobInputs:
        """The inverse of :meth:`to_json`."""
        return cls(
            described=dict(data.get("described", {})),
            to_materialize=list(data.get("to_materialize", [])),
            lineage=[(int(i), str(n), str(m)) for i, n, m in data.get("lineage", [])],
            outputs=list(data.get("outputs", [])),
        )

    def add_output(self, name: str) -> str:
        """A folder the job writes, uploaded with the run as ``pipeline_data/<name>``."""
        if name not in self.outputs:
            self.outputs.append(name)
        return output_placeholder(name)

    def add_files(
        self,
        name: str,
        mode: str,
        files: list[dict[str, Any]],
        storage_options: dict[str, Any] | None = None,
    ) -> str:
        """Files the job gets in a folder of its own (links when local and mounted)."""
        self.to_materialize.append(
            {
                "name": name,
                "mode": mode,
                "files": files,
                "datastores": {},
                "storage_options": storage_options or {},
            }
        )
        return placeholder(name)

    def add_dataset(self, workspace: Workspace, config: DatasetConsumptionConfig) -> str:
        dataset = config.dataset
        record = dataset._record
        if record is not None:
            self.lineage.append((record.id, config.name, config.mode))
        entry: dict[str, Any] = {
            "kind": dataset._kind,
            "mode": config.mode,
            "id": dataset.id,
            "definition": dataset._definition,
        }
        self.described[config.name] = entry
        if dataset._kind == "tabular":
            return dataset.id or config.name
        mode = "mount" if config.mode == "direct" else config.mode
        entry["mode"] = mode
        bound = type(dataset)(dataset._definition, workspace, record)
        files = bound._selected()  # type: ignore[attr-defined]
        sources = dataset._definition["sources"]
        direct = (
            _single_local_folder(workspace, sources)
            if mode == "mount" and not dataset._definition.get("transforms")
            else None
        )
        if direct is not None:
            entry["path"] = direct
            return direct
        store_options: dict[str, Any] = {}
        for source in sources:
            if "datastore" in source:
                store_options[source["datastore"]] = workspace._store.assets.get_datastore(
                    source["datastore"]
                ).options
        self.to_materialize.append(
            {
                "name": config.name,
                "mode": mode,
                "files": [
                    {
                        "protocol": _protocol(f.fs),
                        "path": f.path,
                        "relative": f.relative,
                        "datastore": f.datastore,
                    }
                    for f in files
                ],
                # references to secrets, never the secrets: the supervisor resolves them
                "datastores": store_options,
            }
        )
        entry["path"] = placeholder(config.name)
        return placeholder(config.name)


def _protocol(fs: Any) -> str:
    protocol = fs.protocol
    return protocol[0] if isinstance(protocol, tuple | list) else str(protocol)


def _single_local_folder(workspace: Workspace, sources: list[dict[str, str]]) -> str | None:
    """The folder itself, when the dataset is exactly one local folder (no copy needed)."""
    from pathlib import Path

    if len(sources) != 1:
        return None
    source = sources[0]
    if "datastore" in source:
        from jupyter_mlstudio.core.datastore import Datastore

        root = Datastore(workspace, source["datastore"])._local_root()
        if root is None:
            return None
        path = root / source["path"] if source["path"] else root
    else:
        if "://" in source["url"]:
            return None
        path = Path(source["url"])
    return str(path) if path.is_dir() else None
