"""``AutoMLRun``: the parent run of an AutoML experiment; its children are the iterations."""

from __future__ import annotations

import io
import json
import math
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.core._run_logger import heartbeat_seconds
from jupyter_mlstudio.core.run import Run
from jupyter_mlstudio.errors import ArtifactNotFoundError, UserErrorException, ValidationError
from jupyter_mlstudio.execution.liveness import why_dead
from jupyter_mlstudio.store import RunRecord, RunsFilter, RunStatus
from jupyter_mlstudio.train.automl.config import DEFINITION_KEY

if TYPE_CHECKING:
    import pandas as pd

    from jupyter_mlstudio.core.environment import Environment
    from jupyter_mlstudio.core.model import Model

__all__ = ["AutoMLChildRun", "AutoMLRun"]

MODEL_PATH = "outputs/model.pkl"


class AutoMLRun(Run):
    """An AutoML experiment (azureml.train.automl.run.AutoMLRun).

    ``wait_for_completion(show_output=True)`` prints the data guardrails and a live
    leaderboard; iterations are child runs ``<run id>_<n>``::

        automl_run = exp.submit(automl_config, show_output=True)
        best_run, fitted_model = automl_run.get_output()
        fitted_model.predict(new_rows)
    """

    # ---- settings ----------------------------------------------------------------------
    @property
    def _settings(self) -> dict[str, Any]:
        return dict(self._record.definition.get(DEFINITION_KEY) or {})

    @property
    def primary_metric(self) -> str:
        """The metric the search optimized (``AutoMLConfig``'s ``primary_metric``)."""
        return str(self._settings.get("primary_metric"))

    def _maximize(self, metric: str) -> bool:
        from jupyter_mlstudio.train.automl.metrics import is_maximized

        return is_maximized(metric)

    def _iterations(self) -> list[RunRecord]:
        records = self._store.search_runs(RunsFilter(parent_run_id=self._id))
        return sorted(records, key=_iteration)

    # ---- results -----------------------------------------------------------------------
    def get_best_child(
        self, metric: str | None = None, onnx_compatible: bool = False, **kwargs: Any
    ) -> Run:
        """The completed iteration with the best ``metric``.

        Without ``metric``, the iteration the finished run chose (its
        ``best_child_run_id``: the best by the primary metric, unless that one's lead over
        the default HistGradientBoosting is within the folds' noise); while the run is
        still going, the best by the primary metric so far.
        """
        if metric is None:
            chosen = self.get_properties().get("best_child_run_id")
            if chosen:
                return Run._for_record(self._experiment, self._store.get_run(chosen))
        metric = metric or self.primary_metric
        completed = [r for r in self._iterations() if r.status == RunStatus.COMPLETED]
        latest = self._store.latest_metrics([r.run_id for r in completed])
        scored = [
            (r, latest[r.run_id][metric].value)
            for r in completed
            if metric in latest[r.run_id]
            and latest[r.run_id][metric].value is not None
            and math.isfinite(latest[r.run_id][metric].value)
        ]
        if not scored:
            known = sorted({k for r in completed for k in latest[r.run_id]})
            if completed and metric not in known:
                raise ValidationError(
                    f"No iteration logged the metric {metric!r}.",
                    hint=f"Metrics logged: {', '.join(known)}.",
                )
            status = self.get_status()
            raise UserErrorException(
                f"AutoML run {self._id} has no completed iteration yet (it is {status}).",
                hint="Wait with automl_run.wait_for_completion(show_output=True).",
                run_id=self._id,
            )
        pick = max if self._maximize(metric) else min
        best, _ = pick(scored, key=lambda rv: rv[1])
        return Run._for_record(self._experiment, best)

    def get_output(
        self,
        iteration: int | None = None,
        metric: str | None = None,
        return_onnx_model: bool = False,
        return_split_onnx_model: Any = None,
        **kwargs: Any,
    ) -> tuple[Run, Any]:
        """``(best_run, fitted_model)``: the best iteration by ``metric`` (default the
        primary metric), or iteration ``iteration``, and its fitted scikit-learn pipeline."""
        if return_onnx_model:
            raise ValidationError(
                "ONNX models are not available.", hint="Leave return_onnx_model out."
            )
        if iteration is not None and metric is not None:
            raise ValidationError("Pass iteration or metric, not both.")
        if iteration is not None:
            found = [r for r in self._iterations() if _iteration(r) == iteration]
            if not found:
                raise ValidationError(
                    f"AutoML run {self._id} has no iteration {iteration}.",
                    hint=f"It has iterations 0 to {len(self._iterations()) - 1}.",
                )
            if found[0].status != RunStatus.COMPLETED:
                raise UserErrorException(
                    f"Iteration {iteration} is {found[0].status}: it has no model.",
                    hint=(found[0].error or {}).get("message"),
                )
            run = Run._for_record(self._experiment, found[0])
        else:
            run = self.get_best_child(metric)
        return run, _load_model(run)

    def get_guardrails(self, to_console: bool = True) -> dict[str, Any]:
        """The data guardrails checked before training (printed with ``to_console``)."""
        from jupyter_mlstudio.train.automl.driver import GUARDRAILS_PATH
        from jupyter_mlstudio.train.automl.guardrails import format_guardrails

        try:
            guardrails = json.loads(self._files.read_text(GUARDRAILS_PATH))
        except ArtifactNotFoundError:
            raise UserErrorException(
                f"AutoML run {self._id} has not checked its data yet.",
                hint="Guardrails are ready once the run is Running; wait a moment.",
            ) from None
        if to_console:
            print(format_guardrails(guardrails))
        return {"faults": guardrails}

    def get_featurization_summary(self) -> list[dict[str, Any]]:
        """Per raw column: type detected, dropped or not, engineered feature count and the
        transformations applied."""
        from jupyter_mlstudio.train.automl.driver import FEATURIZATION_PATH

        try:
            return list(json.loads(self._files.read_text(FEATURIZATION_PATH)))
        except ArtifactNotFoundError:
            raise UserErrorException(
                f"AutoML run {self._id} has not featurized its data yet.",
                hint="Wait until it is Running.",
            ) from None

    def summary(self) -> pd.DataFrame:
        """One row per algorithm: iterations tried and its best primary metric."""
        import pandas as pd

        metric = self.primary_metric
        records = [r for r in self._iterations() if _definition(r).get("model")]
        latest = self._store.latest_metrics([r.run_id for r in records])
        rows: dict[str, dict[str, Any]] = {}
        pick = max if self._maximize(metric) else min
        for r in records:
            name = _definition(r)["model"]
            row = rows.setdefault(name, {"Algorithm": name, "Iterations": 0, "Best": None})
            row["Iterations"] += 1
            found = latest[r.run_id].get(metric)
            if found is not None and found.value is not None:
                row["Best"] = found.value if row["Best"] is None else pick(row["Best"], found.value)
        frame = pd.DataFrame(list(rows.values()), columns=["Algorithm", "Iterations", "Best"])
        return frame.rename(columns={"Best": f"Best {metric}"})

    def get_leaderboard(self) -> pd.DataFrame:
        """Every iteration: algorithm, status, primary metric and training time, best first."""
        import pandas as pd

        metric = self.primary_metric
        records = self._iterations()
        latest = self._store.latest_metrics([r.run_id for r in records])
        rows = []
        for r in records:
            found = latest[r.run_id].get(metric)
            duration = (r.ended_at - r.started_at) if r.ended_at and r.started_at else None
            rows.append(
                {
                    "iteration": _iteration(r),
                    "run_id": r.run_id,
                    "algorithm": _definition(r).get("model"),
                    "status": r.status,
                    metric: found.value if found is not None else None,
                    "duration_seconds": duration,
                }
            )
        frame = pd.DataFrame(rows)
        if frame.empty:
            return frame
        return frame.sort_values(
            metric, ascending=not self._maximize(metric), na_position="last"
        ).reset_index(drop=True)

    def register_model(  # type: ignore[override]
        self,
        model_name: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        iteration: int | None = None,
        metric: str | None = None,
        **kwargs: Any,
    ) -> Model:
        """Register the best iteration's model (or ``iteration``'s, or the best by
        ``metric``) as a new version of ``model_name`` (default: ``<run id>`` shortened)."""
        run, _ = self.get_output(iteration=iteration, metric=metric)
        name = model_name or ("AutoML" + self._id.split("_")[-1].replace("-", "")[:10])
        properties = {
            "automl_run_id": self._id,
            "iteration": run.get_properties().get("iteration", ""),
            "algorithm": run.get_properties().get("run_algorithm", ""),
        }
        model = run.register_model(
            name,
            MODEL_PATH,
            tags=tags,
            properties=properties,
            description=description,
            model_framework="ScikitLearn",
        )
        self.model_id = f"{model.name}:{model.version}"
        return model

    # ---- lifecycle ---------------------------------------------------------------------
    def _refresh(self) -> RunRecord:
        """The run's record; a run whose driver is gone ends Failed here, with its trials."""
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
                            "message": "The AutoML driver is gone. " + reason,
                        },
                    )
                self._store.update_run(self._id, status=status, ended=True, error=error)
                for child in self._store.search_runs(RunsFilter(parent_run_id=self._id)):
                    if not child.is_terminal:
                        self._store.update_run(child.run_id, status=RunStatus.CANCELED, ended=True)
                record = self._store.get_run(self._id)
        self._record = record
        return record


class AutoMLChildRun(Run):
    """One AutoML iteration: its model is ``outputs/model.pkl``, with a scoring script and
    environment beside it."""

    def get_environment(self) -> Environment:
        """The environment the model's scoring script needs (``outputs/conda_env_v_1_0_0.yml``)."""
        from jupyter_mlstudio.core.environment import Environment
        from jupyter_mlstudio.train.automl.scoring import ENV_FILE

        folder = Path(tempfile.mkdtemp(prefix="mlstudio-automl-env-"))
        path = folder / "conda_env.yml"
        self.download_file(ENV_FILE, str(path))
        return Environment.from_conda_specification("AutoML-" + self._id[-12:], path)


def _load_model(run: Run) -> Any:
    import joblib

    try:
        data = run._files.read_bytes(MODEL_PATH)
    except ArtifactNotFoundError:
        raise UserErrorException(f"Iteration {run.id} has no {MODEL_PATH}.") from None
    return joblib.load(io.BytesIO(data))


def _definition(record: RunRecord) -> dict[str, Any]:
    return dict(record.definition.get(DEFINITION_KEY) or {})


def _iteration(record: RunRecord) -> int:
    return int(_definition(record).get("iteration", record.number))
