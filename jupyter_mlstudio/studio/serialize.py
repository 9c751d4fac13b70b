"""Records to JSON-ready dicts (camelCase where the front end reads them as-is)."""

from __future__ import annotations

import math
from typing import Any

from jupyter_mlstudio.store import LatestMetric, RunRecord

__all__ = ["json_safe", "latest_value", "run_summary"]


def json_safe(value: Any) -> Any:
    """NaN and infinities become None: JSON has no spelling for them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def latest_value(metric: LatestMetric) -> Any:
    """The latest value of a metric as a chart or table shows it (None for images, tables)."""
    return json_safe(metric.value) if metric.value is not None else None


def run_summary(
    record: RunRecord, metrics: dict[str, LatestMetric], child_count: int = 0
) -> dict[str, Any]:
    """One row of the runs list."""
    return {
        "runId": record.run_id,
        "number": record.number,
        "displayName": record.display_name or record.name or record.run_id,
        "experiment": record.experiment_name,
        "status": record.status,
        "runType": record.run_type,
        "parentRunId": record.parent_run_id,
        "target": record.target or "local",
        "createdAt": record.created_at,
        "startedAt": record.started_at,
        "endedAt": record.ended_at,
        "tags": dict(record.tags),
        "params": dict(record.params),
        "metrics": {
            key: latest_value(m) for key, m in sorted(metrics.items()) if m.value is not None
        },
        "childCount": child_count,
    }
