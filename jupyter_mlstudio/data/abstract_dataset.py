"""What tabular and file datasets share: a definition, registration, versions, tags."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from jupyter_mlstudio.errors import ValidationError

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace
    from jupyter_mlstudio.data.datapath import ResolvedFile
    from jupyter_mlstudio.data.dataset_consumption_config import DatasetConsumptionConfig
    from jupyter_mlstudio.store.datasets import DatasetRecord, DatasetUse

__all__ = ["AbstractDataset"]


class AbstractDataset:
    """A dataset: where its files are, how to read them, and the steps applied after.

    Building one reads nothing; ``register`` fingerprints and profiles it, and
    ``to_pandas_dataframe`` / ``download`` read it.
    """

    _kind: ClassVar[str] = ""

    def __init__(
        self,
        definition: dict[str, Any],
        workspace: Workspace | None = None,
        record: DatasetRecord | None = None,
    ) -> None:
        self._definition = definition
        self._workspace = workspace
        self._record = record

    # ---- identity ----------------------------------------------------------------------
    @property
    def id(self) -> str | None:
        """``name:version`` once registered (None before)."""
        return f"{self._record.name}:{self._record.version}" if self._record else None

    @property
    def name(self) -> str | None:
        """The registered name (``None`` before registration)."""
        return self._record.name if self._record else None

    @property
    def version(self) -> int | None:
        """The registered version number (``None`` before registration)."""
        return self._record.version if self._record else None

    @property
    def description(self) -> str | None:
        """The registered version's description (``None`` before registration)."""
        return self._record.description if self._record else None

    @property
    def tags(self) -> dict[str, str]:
        """The registered version's tags (empty before registration)."""
        return dict(self._record.tags) if self._record else {}

    @property
    def profile(self) -> dict[str, Any] | None:
        """Rows, columns, types, missing values, statistics (computed on registration)."""
        return self._record.profile if self._record else None

    @property
    def schema_change(self) -> dict[str, Any] | None:
        """Columns added, dropped or retyped since the previous version."""
        return self._record.schema_change if self._record else None

    @property
    def data_changed_time(self) -> float | None:
        """When this version was registered, in seconds since the epoch (``None`` before)."""
        return self._record.created_at if self._record else None

    def _derive(self, step: dict[str, Any]) -> AbstractDataset:
        """A new, unregistered dataset: this one plus one more step."""
        definition = copy.deepcopy(self._definition)
        definition.setdefault("transforms", []).append(step)
        return type(self)(definition, self._workspace)

    def _files(self) -> list[ResolvedFile]:
        from jupyter_mlstudio.data.datapath import expand

        return expand(self._workspace, self._definition["sources"])

    # ---- registration ------------------------------------------------------------------
    def register(
        self,
        workspace: Workspace,
        name: str,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        create_new_version: bool = False,
    ) -> AbstractDataset:
        """Register this dataset as ``name``; identical content returns the version that
        has it, new content needs ``create_new_version=True``."""
        from jupyter_mlstudio.core._names import check_name
        from jupyter_mlstudio.data._fingerprint import fingerprint
        from jupyter_mlstudio.data.profile import schema_change

        check_name("dataset", name)
        bound = type(self)(self._definition, workspace)
        files = bound._files()  # says which path matches nothing before anything is stored
        store = workspace._store.datasets
        record, _created = store.add_version(
            name,
            self._kind,
            self._definition,
            fingerprint(self._definition, files),
            description=description,
            tags=tags,
            create_new_version=create_new_version,
            make_profile=bound._make_profile,
            schema_change=lambda old, new: schema_change(old.profile if old else None, new),
        )
        return type(self)(record.definition, workspace, record)

    def _make_profile(self) -> dict[str, Any] | None:
        raise NotImplementedError

    def update(
        self, description: str | None = None, tags: Mapping[str, str] | None = None
    ) -> AbstractDataset:
        """Change this version's description or tags; arguments left ``None`` are kept.

        Parameters
        ----------
        description : str, optional
            The new description.
        tags : mapping of str to str, optional
            The new tags, replacing all the old ones.

        Returns
        -------
        AbstractDataset
            This dataset, updated in place.

        Raises
        ------
        ValidationError
            The dataset is not registered.
        """
        record = self._require_registered("update")
        assert self._workspace is not None
        self._record = self._workspace._store.datasets.update(
            record.id, description=description, tags=tags
        )
        return self

    def add_tags(self, tags: Mapping[str, str]) -> AbstractDataset:
        """Add tags (or change their values) on this version; values are stored as strings.

        Raises
        ------
        ValidationError
            The dataset is not registered.
        """
        return self.update(tags={**self.tags, **{k: str(v) for k, v in tags.items()}})

    def remove_tags(self, tags: Sequence[str]) -> AbstractDataset:
        """Remove the tags with these keys from this version (keys not set are ignored).

        Raises
        ------
        ValidationError
            The dataset is not registered.
        """
        return self.update(tags={k: v for k, v in self.tags.items() if k not in set(tags)})

    def _require_registered(self, what: str) -> DatasetRecord:
        if self._record is None or self._workspace is None:
            raise ValidationError(
                f"{what} needs a registered dataset.",
                hint="Register it first: ds = ds.register(ws, name='...').",
            )
        return self._record

    # ---- lineage -----------------------------------------------------------------------
    def get_runs(self) -> list[DatasetUse]:
        """Runs that used this version (newest first), with how they used it."""
        record = self._require_registered("get_runs")
        assert self._workspace is not None
        return self._workspace._store.datasets.uses(dataset_id=record.id)

    # ---- use in jobs -------------------------------------------------------------------
    def as_named_input(self, name: str) -> DatasetConsumptionConfig:
        """This dataset as the input ``name`` of a run (``run.input_datasets[name]``)."""
        from jupyter_mlstudio.data.dataset_consumption_config import DatasetConsumptionConfig

        return DatasetConsumptionConfig(name, self)

    def _to_job_argument(self, workspace: Workspace, inputs: Any = None) -> str:
        return self.as_named_input(self.name or "input")._to_job_argument(workspace, inputs)

    def __repr__(self) -> str:
        head = f"{type(self).__name__}"
        if self._record:
            head += f"(name={self._record.name!r}, version={self._record.version}"
        else:
            head += "("
        sources = ", ".join(
            s.get("url") or f"{s['datastore']}:{s['path']}" for s in self._definition["sources"]
        )
        return head + (", " if self._record else "") + f"sources=[{sources}])"
