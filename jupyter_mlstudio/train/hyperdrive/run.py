"""``HyperDriveRun``: the parent run of a sweep; its children are the trials."""

from __future__ import annotations

import math
from typing import Any

from jupyter_mlstudio.core._run_logger import heartbeat_seconds
from jupyter_mlstudio.core.run import Run
from jupyter_mlstudio.execution.launcher import signal_cancel
from jupyter_mlstudio.execution.liveness import why_dead
from jupyter_mlstudio.store import RunRecord, RunsFilter, RunStatus
from jupyter_mlstudio.train.hyperdrive.runconfig import DEFINITION_KEY

__all__ = ["HyperDriveRun"]


class HyperDriveRun(Run):
    """A hyperparameter sweep (azureml.train.hyperdrive.HyperDriveRun).

    ``wait_for_completion(show_output=True)`` prints each trial as it starts and ends,
    with its hyperparameters and primary metric; the trials are child runs with ids
    ``<sweep id>_<n>``::

        hd = exp.submit(hyperdrive_config)
        hd.wait_for_completion(show_output=True)
        best = hd.get_best_run_by_primary_metric()
    """

    # ---- what the sweep is -------------------------------------------------------------
    @property
    def _sweep(self) -> dict[str, Any]:
        return dict(self._record.definition.get(DEFINITION_KEY) or {})

    @property
    def primary_metric_name(self) -> str:
        """The metric the sweep optimizes, as given to ``HyperDriveConfig``.

        Azure ML's ``HyperDriveRun`` reads it from the run's primary metric config; here it
        comes from the sweep's definition stored on the parent run.
        """
        return str(self._sweep.get("primary_metric_name"))

    @property
    def _maximize(self) -> bool:
        return self._sweep.get("primary_metric_goal") == "MAXIMIZE"

    def _trial_records(self) -> list[RunRecord]:
        records = self._store.search_runs(RunsFilter(parent_run_id=self._id))
        return sorted(records, key=lambda r: _trial_number(r))

    # ---- results -----------------------------------------------------------------------
    def get_hyperparameters(self) -> dict[str, dict[str, Any]]:
        """``{run_id: {argument: value}}``: the values each trial was given."""
        return {
            r.run_id: dict((r.definition.get(DEFINITION_KEY) or {}).get("parameters") or {})
            for r in self._trial_records()
        }

    def get_metrics(
        self,
        name: str | None = None,
        recursive: bool = False,
        run_type: str | None = None,
        populate: bool = False,
    ) -> dict[str, Any]:
        """``{run_id: metrics}`` of every trial (metrics as ``Run.get_metrics`` gives them)."""
        out: dict[str, Any] = {}
        for record in self._trial_records():
            child = Run._for_record(self._experiment, record)
            out[record.run_id] = child.get_metrics(name)
        return out

    def _scores(self) -> list[dict[str, Any]]:
        metric, maximize = self.primary_metric_name, self._maximize
        records = self._trial_records()
        latest = self._store.latest_metrics([r.run_id for r in records])
        rows = []
        for record in records:
            found = latest[record.run_id].get(metric)
            best: float | None = None
            if found is not None:
                if found.count > 1:
                    points = self._store.metric_history(record.run_id, [metric]).get(metric, [])
                    values = [p.value for p in points if p.value is not None]
                else:
                    values = [found.value] if found.value is not None else []
                values = [v for v in values if math.isfinite(v)]
                if values:
                    best = max(values) if maximize else min(values)
            rows.append(
                {
                    "run_id": record.run_id,
                    "hyperparameters": dict(
                        (record.definition.get(DEFINITION_KEY) or {}).get("parameters") or {}
                    ),
                    "best_primary_metric": best,
                    "status": record.status,
                }
            )
        return rows

    def get_children_sorted_by_primary_metric(
        self, top: int = 0, reverse: bool = False, discard_no_metric: bool = False
    ) -> list[dict[str, Any]]:
        """Trials best first (``reverse=True``: worst first), as dicts with ``run_id``,
        ``hyperparameters``, ``best_primary_metric`` (the best value the trial logged) and
        ``status``. Trials without the metric come last, or not at all with
        ``discard_no_metric``; ``top`` keeps the first ``top``."""
        rows = self._scores()
        scored = [r for r in rows if r["best_primary_metric"] is not None]
        unscored = [] if discard_no_metric else [r for r in rows if r not in scored]
        best_first = not reverse
        scored.sort(
            key=lambda r: r["best_primary_metric"],
            reverse=self._maximize if best_first else not self._maximize,
        )
        ordered = scored + unscored
        return ordered[:top] if top else ordered

    def get_best_run_by_primary_metric(
        self,
        include_failed: bool = True,
        include_canceled: bool = True,
        include_resume_from_runs: bool = True,
    ) -> Run | None:
        """The trial with the best primary metric (None if no trial logged it)."""
        excluded = set()
        if not include_failed:
            excluded.add(str(RunStatus.FAILED))
        if not include_canceled:
            excluded.add(str(RunStatus.CANCELED))
        for row in self.get_children_sorted_by_primary_metric(discard_no_metric=True):
            if row["status"] not in excluded:
                return Run.get(self._workspace, row["run_id"])
        return None

    # ---- lifecycle -----------------------------------------------------------------------
    def _refresh(self) -> RunRecord:
        """The sweep's record; a sweep whose controller is gone ends here, with its trials."""
        record = self._store.get_run(self._id)
        if not record.is_terminal:
            reason = why_dead(record, heartbeat_seconds())
            if reason is not None:
                if record.cancel_requested:
                    status, error = RunStatus.CANCELED, None
                else:
                    status, error = (
                        RunStatus.FAILED,
                        {
                            "code": "ProcessLost",
                            "message": "The sweep's controller is gone. " + reason,
                        },
                    )
                self._store.update_run(self._id, status=status, ended=True, error=error)
                stop_trials(self._store, self._id)
                record = self._store.get_run(self._id)
        self._record = record
        return record

    def cancel(self) -> None:
        """Cancel the sweep: its controller stops the running trials and ends it Canceled."""
        super().cancel()
        if self._refresh().is_terminal:  # no controller to do it
            stop_trials(self._store, self._id)


def stop_trials(tracking: Any, run_id: str) -> int:
    """Cancel the unfinished trials of sweep ``run_id``; returns how many were asked."""
    active = [
        r for r in tracking.search_runs(RunsFilter(parent_run_id=run_id)) if not r.is_terminal
    ]
    for record in active:
        tracking.request_cancel(record.run_id)
        signal_cancel(record)
    return len(active)


def _trial_number(record: RunRecord) -> int:
    info = record.definition.get(DEFINITION_KEY) or {}
    return int(info.get("trial", record.number))
