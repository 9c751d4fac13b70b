"""The run ``Run.get_context()`` returns outside a submitted job: it logs to the console."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from jupyter_mlstudio.core import _metric_values as mv


class OfflineRun:
    """Prints what a live run would record, as azureml's offline run does.

    Files stay where they are; metrics are printed and kept in memory for ``get_metrics``.
    """

    def __init__(self) -> None:
        self.id = f"OfflineRun_{uuid.uuid4()}"
        self.name = self.display_name = self.id
        self.number = 0
        self.type = "offline"
        self.status = "Running"
        self.parent = None
        self.input_datasets: dict[str, Any] = {}
        self.experiment = None
        self._metrics: dict[str, list[Any]] = {}
        self._tags: dict[str, str] = {}
        self._properties: dict[str, str] = {}

    def _record(self, kind: str, name: str, value: Any) -> None:
        print(f"Attempted to log {kind} metric {name}:\n{value}")
        self._metrics.setdefault(name, []).append(value)

    def log(self, name: str, value: Any, description: str = "", step: int | None = None) -> None:
        mv.check_metric_name(name)
        mv.encode_scalar(name, value)
        self._record("scalar", name, value)

    def log_list(self, name: str, value: Sequence[Any], description: str = "") -> None:
        self._record("list", name, list(value))

    def log_row(self, name: str, description: str | None = None, **kwargs: Any) -> None:
        self._record("row", name, kwargs)

    def log_table(self, name: str, value: Mapping[str, Any], description: str = "") -> None:
        self._record("table", name, dict(value))

    def log_image(
        self, name: str, path: Any = None, plot: Any = None, description: str = ""
    ) -> None:
        self._record("image", name, path if path is not None else "<plot>")

    def log_confusion_matrix(self, name: str, value: Any, description: str = "") -> None:
        self._record("confusion_matrix", name, value)

    def log_accuracy_table(self, name: str, value: Any, description: str = "") -> None:
        self._record("accuracy_table", name, value)

    def log_params(self, params: Mapping[str, Any]) -> None:
        print(f"Attempted to log params {dict(params)}")

    def get_metrics(self, name: str | None = None, **kwargs: Any) -> dict[str, Any]:
        out = {k: (v[0] if len(v) == 1 else list(v)) for k, v in self._metrics.items()}
        return out if name is None else {k: v for k, v in out.items() if k == name}

    def upload_file(self, name: str, path_or_stream: Any, **kwargs: Any) -> None:
        print(f"Attempted to upload file {name} from {path_or_stream}")

    def upload_folder(self, name: str, path: Any, **kwargs: Any) -> None:
        print(f"Attempted to upload folder {name} from {path}")

    def tag(self, key: str, value: str | None = None) -> None:
        self._tags[key] = "" if value is None else str(value)

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        self._tags.update({k: str(v) for k, v in tags.items()})

    def get_tags(self) -> dict[str, str]:
        return dict(self._tags)

    def add_properties(self, properties: Mapping[str, Any]) -> None:
        self._properties.update({k: str(v) for k, v in properties.items()})

    def get_properties(self) -> dict[str, str]:
        return dict(self._properties)

    def get_status(self) -> str:
        return self.status

    def flush(self, timeout_seconds: int = 300) -> None:
        pass

    def complete(self, _set_status: bool = True) -> None:
        self.status = "Completed"

    def fail(
        self, error_details: Any = None, error_code: str | None = None, _set_status: bool = True
    ) -> None:
        self.status = "Failed"

    def get_context(self, allow_offline: bool = True) -> OfflineRun:
        return self

    def __repr__(self) -> str:
        return f"OfflineRun(Id: {self.id}, cwd: {os.getcwd()})"
