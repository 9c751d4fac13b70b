"""Runs as a pandas DataFrame: one row per run, columns for params, metrics and tags."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.core import _metric_values as mv
from jupyter_mlstudio.store import RunsFilter, TrackingStore

if TYPE_CHECKING:
    import pandas as pd


def runs_dataframe(tracking: TrackingStore, filters: RunsFilter) -> pd.DataFrame:
    import pandas as pd

    records = tracking.search_runs(filters)
    latest = tracking.latest_metrics([r.run_id for r in records])
    rows: list[dict[str, Any]] = []
    for r in records:
        row: dict[str, Any] = {
            "run_id": r.run_id,
            "experiment": r.experiment_name,
            "number": r.number,
            "display_name": r.display_name,
            "type": r.run_type,
            "status": r.status,
            "target": r.target,
            "parent_run_id": r.parent_run_id,
            "start_time": r.started_at,
            "end_time": r.ended_at,
        }
        for key, value in r.params.items():
            row[f"params.{key}"] = value
        for key, metric in latest[r.run_id].items():
            if metric.kind in mv.SERIES_KINDS:
                row[f"metrics.{key}"] = mv.decode(metric.value, metric.payload)
        for key, value in r.tags.items():
            row[f"tags.{key}"] = value
        rows.append(row)
    columns = [
        "run_id",
        "experiment",
        "number",
        "display_name",
        "type",
        "status",
        "target",
        "parent_run_id",
        "start_time",
        "end_time",
    ]
    frame = pd.DataFrame(rows, columns=None if rows else columns)
    for col in ("start_time", "end_time"):  # one conversion per column, not per row
        frame[col] = pd.to_datetime(frame[col], unit="s", utc=True)
    return frame
