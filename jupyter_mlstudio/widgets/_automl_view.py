"""The view of an AutoML parent run: its leaderboard (iterations best first, with algorithm,
pipeline, primary metric, duration and status), the best model so far, the primary metric of
every iteration beside the best so far in a live chart, the featurization summary and the
driver's log. An iteration opens its own RunDetails on click."""

from __future__ import annotations

import html
import json
import math
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from jupyter_mlstudio.widgets._charts import LineChart, chart_row
from jupyter_mlstudio.widgets._html import duration, fmt, status_badge, table
from jupyter_mlstudio.widgets._table import Table
from jupyter_mlstudio.widgets._view import TERMINAL, LogPanel, RunView

if TYPE_CHECKING:
    from jupyter_mlstudio.core.run import Run
    from jupyter_mlstudio.studio import Studio

__all__ = ["AutoMLView", "pipeline_summary"]

SETTINGS_KEY = "automl"  # where the run's definition keeps its AutoMLConfig settings


def pipeline_summary(properties: dict[str, str], featurized: bool) -> str:
    """What an iteration fits, as one line: ``Featurizer → StandardScaler → KNN``, or the
    iterations an ensemble combines."""
    algorithm = properties.get("run_algorithm") or "?"
    members = properties.get("ensembled_iterations")
    if members:
        try:
            used = json.loads(members)
        except ValueError:
            used = []
        if used:
            return f"{algorithm} of iterations {', '.join(str(i) for i in used)}"
        return algorithm
    parts = ["DataTransformer"] if featurized else []
    if properties.get("run_preprocessor"):
        parts.append(properties["run_preprocessor"])
    parts.append(algorithm)
    return " \u2192 ".join(parts)


def _hyperparameters(properties: dict[str, str]) -> str:
    try:
        spec = json.loads(properties.get("pipeline_spec") or "{}")
    except ValueError:
        return ""
    params = spec.get("params") or {}
    return ", ".join(f"{k}={v}" for k, v in params.items())


class AutoMLView(RunView):
    """An AutoML experiment and its iterations, kept current while it searches."""

    def __init__(self, run: Run, studio: Studio) -> None:
        super().__init__(run, studio)
        from jupyter_mlstudio.train.automl.metrics import is_maximized

        definition = self.summary["details"].get("runDefinition") or {}
        self.settings: dict[str, Any] = dict(definition.get(SETTINGS_KEY) or {})
        self.metric = str(self.settings.get("primary_metric") or "score")
        self.maximize = is_maximized(self.metric)
        self.featurized = self.settings.get("featurization", "auto") != "off"
        self.iterations: list[dict[str, Any]] = []  # best first, then unscored
        self._properties: dict[str, dict[str, str]] = {}  # a child's, read once it ends
        self.featurization: list[dict[str, Any]] | None = None
        self.info = w.HTML(self._info_html())
        self.best = w.HTML()
        self.best.add_class("mls-automl-best")
        self.chart = LineChart(
            f"{self.metric} by iteration",
            x_label="iteration",
            y_label=self.metric,
            width=560,
            height=300,
            labels=True,
        )
        self.columns = [
            "Iteration",
            "Algorithm",
            "Pipeline",
            self.metric,
            "Duration",
            "Status",
            "Hyperparameters",
        ]
        self.table = Table(self.columns, self.open_iteration, page_size=12)
        self.table.add_class("mls-leaderboard")
        self.features = w.HTML()
        self.detail = w.VBox()
        self.log = LogPanel(studio, run.id)
        self._load()
        self.log.read()
        self.header.show(self.summary)
        self.widget = w.VBox(
            [
                self.header.widget,
                self.info,
                chart_row([self.chart.widget, w.VBox([w.HTML("<b>Best model</b>"), self.best])]),
                w.HTML("<b>Leaderboard</b> (best first; click an iteration for its details)"),
                self.table,
                self.detail,
                w.HTML("<b>Featurization</b>"),
                self.features,
                w.HTML("<b>AutoML log</b>"),
                self.log.widget,
            ]
        )
        self.widget.add_class("mls-run-details")
        self.widget.add_class("mls-automl")

    # ---- reading -------------------------------------------------------------------------------
    @property
    def iteration_ids(self) -> set[str]:
        """Run ids of the iterations shown."""
        return {it["run_id"] for it in self.iterations}

    def _load(self) -> None:
        rows = []
        for child in self.studio.runs.children(self.run_id):
            rid = child["runId"]
            props = self._properties.get(rid)
            if props is None:
                props = self.studio.runs.details(rid)["properties"]
                if child["status"] in TERMINAL:  # an ensemble names its members when done
                    self._properties[rid] = props
            score = (child.get("metrics") or {}).get(self.metric)
            if not isinstance(score, int | float) or not math.isfinite(score):
                score = None
            number = props.get("iteration")
            rows.append(
                {
                    "run_id": rid,
                    "iteration": int(number) if number not in (None, "") else child["number"],
                    "algorithm": props.get("run_algorithm") or "",
                    "pipeline": pipeline_summary(props, self.featurized),
                    "hyperparameters": _hyperparameters(props),
                    "score": score if child["status"] == "Completed" else None,
                    "status": child["status"],
                    "startedAt": child.get("startedAt"),
                    "endedAt": child.get("endedAt"),
                }
            )
        sign = -1.0 if self.maximize else 1.0  # ties: the earlier iteration first
        scored = sorted(
            (r for r in rows if r["score"] is not None),
            key=lambda r: (sign * r["score"], r["iteration"]),
        )
        rest = sorted((r for r in rows if r["score"] is None), key=lambda r: r["iteration"])
        self.iterations = scored + rest
        if self.featurization is None:
            self.featurization = self._read_featurization()
        self._show()

    def _read_featurization(self) -> list[dict[str, Any]] | None:
        from jupyter_mlstudio.errors import UserErrorException

        reader = getattr(self.run, "get_featurization_summary", None)
        if reader is None:
            return None
        try:
            return list(reader())
        except UserErrorException:
            return None  # not featurized yet: read again next time

    def wants(self, event: dict[str, Any]) -> bool:
        """The parent's events and every iteration's."""
        rid = event.get("runId")
        return (
            rid == self.run_id
            or rid in self.iteration_ids
            or event.get("parentRunId") == self.run_id
        )

    def apply(self, events: list[dict[str, Any]], now: float) -> None:
        """Reload the leaderboard when an iteration starts, logs or ends."""
        super().apply(events, now)
        if any(e["type"] == "resync" or e.get("runId") != self.run_id for e in events):
            self._load()
        else:
            self._show_durations(now)
            if self.featurization is None:  # written once the driver has featurized the data
                self.featurization = self._read_featurization()
                if self.featurization is not None:
                    self.features.value = self._features_html()
        self.log.read()

    def finish(self) -> None:
        """A last full refresh once the run has ended."""
        super().finish()
        self._load()
        self.log.read()

    # ---- showing -------------------------------------------------------------------------------
    @property
    def best_iteration(self) -> dict[str, Any] | None:
        """The best completed iteration so far (None before one completes)."""
        first = self.iterations[0] if self.iterations else None
        return first if first is not None and first["score"] is not None else None

    def _show(self) -> None:
        self._show_table()
        self._show_best()
        self._draw()
        self.features.value = self._features_html()

    def _rows(self, now: float | None = None) -> list[tuple[str, list[Any]]]:
        return [
            (
                it["run_id"],
                [
                    it["iteration"],
                    it["algorithm"],
                    it["pipeline"],
                    it["score"],
                    duration(it["startedAt"], it["endedAt"], now),
                    it["status"],
                    it["hyperparameters"],
                ],
            )
            for it in self.iterations
        ]

    def _show_table(self) -> None:
        self.table.set_rows(self._rows())

    def _show_durations(self, now: float) -> None:
        if any(it["status"] not in TERMINAL for it in self.iterations):
            self.table.set_rows(self._rows(now))

    def _show_best(self) -> None:
        best = self.best_iteration
        if best is None:
            done = sum(it["status"] in TERMINAL for it in self.iterations)
            self.best.value = (
                "<div class='mls-empty' style='color:#757575'>"
                f"No completed iteration yet ({len(self.iterations)} started, {done} ended).</div>"
            )
            return
        rows = [
            ("Iteration", str(best["iteration"])),
            ("Algorithm", best["algorithm"]),
            ("Pipeline", best["pipeline"]),
            (self.metric, fmt(best["score"])),
            ("Hyperparameters", best["hyperparameters"] or "defaults"),
            ("Run Id", best["run_id"]),
        ]
        self.best.value = table(["", ""], rows) + (
            "<div style='font-size:11px;color:#757575;margin-top:4px'>"
            "<code>best_run, fitted_model = run.get_output()</code></div>"
        )

    def _draw(self) -> None:
        done = sorted(
            (it for it in self.iterations if it["score"] is not None),
            key=lambda it: it["iteration"],
        )
        if not done:
            return
        xs = [float(it["iteration"]) for it in done]
        ys = [float(it["score"]) for it in done]
        best: list[float] = []
        for y in ys:
            best.append(y if not best else (max if self.maximize else min)(best[-1], y))
        with self.chart.figure.hold_sync():
            self.chart.set_line("iteration", xs, ys, marker="circle")
            self.chart.set_line("best so far", xs, best, dashed=True, marker="circle")
            self.chart.integer_ticks(xs)

    def _features_html(self) -> str:
        if not self.featurization:
            off = "Featurization is off." if not self.featurized else "Not featurized yet."
            return f"<div class='mls-empty' style='color:#757575'>{off}</div>"
        rows = [
            (
                f.get("RawFeatureName"),
                f.get("TypeDetected"),
                f.get("Dropped"),
                f.get("EngineeredFeatureCount"),
                ", ".join(f.get("Transformations") or []),
            )
            for f in self.featurization
        ]
        return table(["Column", "Type detected", "Dropped", "Features", "Transformations"], rows)

    def _info_html(self) -> str:
        s = self.settings
        featurization = s.get("featurization", "auto")
        items = [
            ("Task", s.get("task")),
            ("Primary metric", self.metric),
            ("Goal", "maximize" if self.maximize else "minimize"),
            ("Iterations", s.get("iterations")),
            ("Concurrent", s.get("max_concurrent_iterations")),
            ("Featurization", featurization if isinstance(featurization, str) else "custom"),
            ("Models", ", ".join(s.get("models") or [])),
        ]
        return (
            "<div style='font-size:12px;color:#616161'>"
            + " · ".join(
                f"{k}: <b>{html.escape(fmt(v))}</b>" for k, v in items if v not in (None, "")
            )
            + "</div>"
        )

    def open_iteration(self, run_id: str) -> None:
        """Show one iteration's own details (its metrics, log and files) under the table."""
        from jupyter_mlstudio.core.run import Run

        child = Run.get(self.workspace, run_id)
        if self.opener is not None:
            self.detail.children = [
                w.HTML(f"<b>Iteration {html.escape(run_id)}</b>"),
                self.opener(child),
            ]

    # ---- where widgets cannot be ---------------------------------------------------------------
    def summary_html(self) -> str:
        """Header, settings, best model and leaderboard as HTML."""
        rows = [
            [
                html.escape(str(it["iteration"])),
                html.escape(it["algorithm"]),
                html.escape(it["pipeline"]),
                html.escape(fmt(it["score"])),
                html.escape(duration(it["startedAt"], it["endedAt"])),
                status_badge(it["status"]),
            ]
            for it in self.iterations
        ]
        headers = self.columns[:6]
        return (
            super().summary_html()
            + self._info_html()
            + "<h4>Best model</h4>"
            + self.best.value
            + "<h4>Leaderboard</h4>"
            + table(headers, rows, raw_columns=range(len(headers)), empty="No iterations yet.")
        )

    def summary_text(self) -> str:
        """Header and the leaderboard as text."""
        lines = [super().summary_text(), f"Leaderboard (best {self.metric} first):"]
        for it in self.iterations:
            lines.append(
                f"  {it['iteration']:>4}  {it['pipeline']:<45} {fmt(it['score']):>10}  "
                f"{duration(it['startedAt'], it['endedAt']):>8}  {it['status']}"
            )
        best = self.best_iteration
        if best is not None:
            lines.append(
                f"Best so far: iteration {best['iteration']} ({best['algorithm']}) "
                f"{self.metric} {fmt(best['score'])}"
            )
        return "\n".join(lines)

    def widget_data(self) -> dict[str, Any]:
        """Plain data: the run, its iterations best first and the best one."""
        data = super().widget_data()
        data["child_runs"] = self.iterations
        data["primary_metric"] = {"name": self.metric, "maximize": self.maximize}
        data["best_child"] = self.best_iteration
        data["featurization_summary"] = self.featurization
        return data
