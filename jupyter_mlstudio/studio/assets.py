"""Datasets, models, compute targets, environments and endpoints, as the studio lists them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.core.dataset import Dataset
from jupyter_mlstudio.core.model import Model
from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.studio.serialize import json_safe

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace
    from jupyter_mlstudio.store.datasets import DatasetRecord

__all__ = ["AssetService"]

MAX_PREVIEW_ROWS = 1000


def _dataset(record: DatasetRecord) -> dict[str, Any]:
    profile = record.profile or {}
    return {
        "id": record.id,
        "name": record.name,
        "version": record.version,
        "kind": record.kind,
        "description": record.description,
        "tags": record.tags,
        "createdAt": record.created_at,
        "rowCount": profile.get("rows"),
        "columnCount": profile.get("column_count"),
        "fingerprint": record.fingerprint,
        "schemaChange": json_safe(record.schema_change),
    }


def _model(model: Model) -> dict[str, Any]:
    return json_safe(
        {
            **model.serialize(),
            "datasets": list(model.datasets),
        }
    )


class AssetService:
    """Registered assets of one workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self._ws = workspace

    # ---- datasets --------------------------------------------------------------------------
    def datasets(self) -> list[dict[str, Any]]:
        """The latest version of each registered dataset, as JSON-ready dicts sorted by name."""
        return [_dataset(r) for r in self._ws._store.datasets.list_latest()]

    def dataset_versions(self, name: str) -> list[dict[str, Any]]:
        """Every version of the dataset ``name``, newest first.

        Raises
        ------
        DatasetNotFoundError
            If no dataset of that name is registered.
        """
        self._ws._store.datasets.get(name)  # 404 for an unknown name
        return [_dataset(r) for r in self._ws._store.datasets.list_versions(name)]

    def dataset(self, name: str, version: int | None = None) -> dict[str, Any]:
        """One version with its profile (column statistics and histograms) and lineage."""
        record = self._ws._store.datasets.get(name, version)
        uses = self._ws._store.datasets.uses(dataset_id=record.id)
        models = [
            {"name": m.name, "version": m.version}
            for m in Model.list(self._ws)
            if any(
                d.get("name") == name and d.get("version") in (None, record.version)
                for d in m.datasets
                if isinstance(d, dict)
            )
        ]
        return {
            **_dataset(record),
            "definition": json_safe(record.definition),
            "profile": json_safe(record.profile),
            "runs": [
                {"runId": u.run_id, "role": u.role, "inputName": u.input_name, "mode": u.mode}
                for u in uses
            ],
            "models": models,
        }

    def preview(
        self, name: str, version: int | None = None, *, offset: int = 0, limit: int = 100
    ) -> dict[str, Any]:
        """One page of a tabular dataset's rows."""
        if not 1 <= limit <= MAX_PREVIEW_ROWS or offset < 0:
            raise ValidationError(
                f"A preview page has 1 to {MAX_PREVIEW_ROWS} rows from offset 0 or more."
            )
        dataset = Dataset.get_by_name(self._ws, name, version if version is not None else "latest")
        if not hasattr(dataset, "to_pandas_dataframe"):
            raise ValidationError(
                f"Dataset {name!r} is a file dataset: it has no rows to preview.", name=name
            )
        frame = dataset.skip(offset).take(limit).to_pandas_dataframe()
        profile = dataset.profile or {}
        return {
            "name": name,
            "version": dataset.version,
            "offset": offset,
            "limit": limit,
            "total": profile.get("rows"),
            "columns": [str(c) for c in frame.columns],
            "dtypes": [str(t) for t in frame.dtypes],
            "rows": json_safe(frame.astype(object).where(frame.notna(), None).values.tolist()),
        }

    # ---- models ----------------------------------------------------------------------------
    def models(self) -> list[dict[str, Any]]:
        """The latest version of each model, with how many versions it has."""
        everything = Model.list(self._ws)
        counts: dict[str, int] = {}
        for m in everything:
            counts[m.name] = counts.get(m.name, 0) + 1
        latest = Model.list(self._ws, latest=True)
        return [{**_model(m), "versionCount": counts.get(m.name, 1)} for m in latest]

    def model_versions(self, name: str) -> list[dict[str, Any]]:
        """Every version of the model ``name``, newest first.

        Raises
        ------
        ModelNotFoundError
            If no model of that name is registered.
        """
        Model(self._ws, name)  # 404 for an unknown name
        return [_model(m) for m in Model.list(self._ws, name=name)]

    def model(self, name: str, version: int | None = None) -> dict[str, Any]:
        """One model version (the latest when ``version`` is None) with its lineage and audit trail.

        Raises
        ------
        ModelNotFoundError
            If there is no such model version.
        """
        model = Model(self._ws, name, version=version)
        return {
            **_model(model),
            "lineage": json_safe(model.get_lineage()),
            "audit": [json_safe(_plain(e)) for e in model.get_audit_trail()],
        }

    # ---- compute, environments, endpoints ---------------------------------------------------
    def compute(self) -> list[dict[str, Any]]:
        """The workspace's compute targets, serialized."""
        return [json_safe(c.serialize()) for c in self._ws.compute_targets.values()]

    def environments(self) -> list[dict[str, Any]]:
        """The latest version of every registered environment, with its definition."""
        return [
            {
                "name": r.name,
                "version": r.version,
                "createdAt": r.created_at,
                "definition": json_safe(r.definition),
            }
            for r in self._ws._store.assets.list_environments()
        ]


def _plain(event: Any) -> dict[str, Any]:
    if hasattr(event, "_asdict"):
        return dict(event._asdict())
    if hasattr(event, "__dataclass_fields__"):
        return {k: getattr(event, k) for k in event.__dataclass_fields__}
    return dict(event)
