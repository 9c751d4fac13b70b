"""The view of a HyperDrive sweep: its trials sorted by the primary metric, every trial's
primary metric over its iterations in one chart, and a parallel-coordinates chart of the
hyperparameters against the metric. Trials the early-termination policy stopped are marked."""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from jupyter_mlstudio.widgets._charts import LineChart, ParallelChart, chart_row
from jupyter_mlstudio.widgets._html import duration, fmt, status_badge, table
from jupyter_mlstudio.widgets._series import SeriesBuffer, gc_paused
from jupyter_mlstudio.widgets._table import Table
from jupyter_mlstudio.widgets._view import LogPanel, RunView

if TYPE_CHECKING:
    from jupyter_mlstudio.core.run import Run
    from jupyter_mlstudio.studio import Studio

__all__ = ["SweepView"]

EARLY_TAG = "hyperdrive.early_termination"
_FULL_READ = 100_000


class SweepView(RunView):
    """A sweep and its trials, kept current while trials run."""

    def __init__(self, run: Run, studio: Studio) -> None:
        super().__init__(run, studio)
        sweep = (self.summary["details"].get("runDefinition") or {}).get("hyperdrive") or {}
        self.metric = str(sweep.get("primary_metric_name") or run.primary_metric_name)  # type: ignore[attr-defined]
        self.maximize = sweep.get("primary_metric_goal") == "MAXIMIZE"
        self.sweep = sweep
        self.trials: list[dict[str, Any]] = []  # best first
        self.curves: dict[str, SeriesBuffer] = {}
        self.info = w.HTML(_sweep_info(sweep))
        self.chart = LineChart(
            f"Primary metric: {self.metric}",
            y_label=self.metric,
            height=320,
            width=560,
            labels=True,
        )
        self.parallel = ParallelChart("Parameters and metric (yellow: best)")
        self.parallel.reverse_colors(not self.maximize)
        self.table = Table(["Trial", "Status", self.metric], self.open_trial, page_size=12)
        self.detail = w.VBox()
        self.log = LogPanel(studio, run.id)
        self._load_trials()
        self.log.read()
        self.header.show(self.summary)
        charts = chart_row([self.chart.widget, self.parallel.widget])
        self.widget = w.VBox(
            [
                self.header.widget,
                self.info,
                charts,
                w.HTML("<b>Trials</b> (best first; click one for its details)"),
                self.table,
                self.detail,
                w.HTML("<b>Sweep log</b>"),
                self.log.widget,
            ]
        )
        self.widget.add_class("mls-run-details")
        self.widget.add_class("mls-sweep")

    # ---- reading -------------------------------------------------------------------------------
    @property
    def trial_ids(self) -> set[str]:
        return {t["run_id"] for t in self.trials}

    def _load_trials(self) -> None:
        children = {c["runId"]: c for c in self.studio.runs.children(self.run_id)}
        rows = self.run.get_children_sorted_by_primary_metric()  # type: ignore[attr-defined]
        self.trials = []
        for row in rows:
            child = children.get(row["run_id"], {})
            self.trials.append(
                {
                    **row,
                    "number": child.get("number"),
                    "early_termination": (child.get("tags") or {}).get(EARLY_TAG),
                    "startedAt": child.get("startedAt"),
                    "endedAt": child.get("endedAt"),
                }
            )
        for trial in self.trials:
            rid = trial["run_id"]
            if rid not in self.curves:
                with gc_paused():
                    s = self.studio.runs.series(rid, self.metric, max_points=_FULL_READ)
                self.curves[rid] = SeriesBuffer(rid, s.steps, s.values, total_logged=s.total)
        self._show_table()
        self._draw_curves()
        self._draw_parallel()

    def wants(self, event: dict[str, Any]) -> bool:
        rid = event.get("runId")
        return rid == self.run_id or rid in self.curves or event.get("parentRunId") == self.run_id

    def apply(self, events: list[dict[str, Any]], now: float) -> None:
        super().apply(events, now)
        reload = False
        grew = False
        for event in events:
            if event["type"] == "run" and event["runId"] != self.run_id:
                reload = True
            elif event["type"] == "metrics" and event["runId"] in self.curves:
                if event["key"] == self.metric:
                    grew |= bool(
                        self.curves[event["runId"]].extend(event["steps"], event["values"])
                    )
            elif event["type"] == "resync":
                self.curves.clear()
                reload = True
        if reload:
            self._load_trials()
        elif grew:
            self._rescore()
        self.log.read()

    def _rescore(self) -> None:
        """New points only: each trial's best value from the curves held, no store reads."""
        import numpy as np

        for trial in self.trials:
            buffer = self.curves.get(trial["run_id"])
            values = buffer.values[np.isfinite(buffer.values)] if buffer is not None else []
            if len(values):
                trial["best_primary_metric"] = float(
                    values.max() if self.maximize else values.min()
                )
        scored = [t for t in self.trials if t["best_primary_metric"] is not None]
        scored.sort(key=lambda t: t["best_primary_metric"], reverse=self.maximize)
        self.trials = scored + [t for t in self.trials if t["best_primary_metric"] is None]
        self._show_table()
        self._draw_curves()
        self._draw_parallel()

    def finish(self) -> None:
        super().finish()
        self._load_trials()
        self.log.read()

    # ---- showing -------------------------------------------------------------------------------
    def _params(self) -> list[str]:
        names: list[str] = []
        for trial in self.trials:
            for name in trial["hyperparameters"]:
                if name not in names:
                    names.append(name)
        return names

    def _show_table(self) -> None:
        params = self._params()
        columns = ["Trial", "Status", f"Best {self.metric}", "Duration", *params, "Early stop"]
        if self.table.columns != columns:
            old = self.table
            self.table = Table(columns, self.open_trial, page_size=12)
            if isinstance(self.widget, w.VBox) and old in self.widget.children:
                self.widget.children = tuple(
                    self.table if c is old else c for c in self.widget.children
                )
            old.close()
        self.table.set_rows(
            [
                (
                    t["run_id"],
                    [
                        t["run_id"],
                        t["status"],
                        t["best_primary_metric"],
                        duration(t.get("startedAt"), t.get("endedAt")),
                        *[t["hyperparameters"].get(p) for p in params],
                        t["early_termination"] or "",
                    ],
                )
                for t in self.trials
            ]
        )

    def _draw_curves(self) -> None:
        names = []
        steps: set[float] = set()
        with self.chart.figure.hold_sync():
            for trial in sorted(self.trials, key=lambda t: t["run_id"]):
                buffer = self.curves.get(trial["run_id"])
                if buffer is None or not len(buffer):
                    continue
                x, y = buffer.chart_points()
                early = bool(trial["early_termination"])
                name = _short(trial) + (" (stopped early)" if early else "")
                names.append(name)
                self.chart.set_line(name, x, y, dashed=early, marker="cross" if early else None)
                steps.update(x.tolist())
            self.chart.keep_lines(names)
            self.chart.integer_ticks(sorted(steps))

    def _draw_parallel(self) -> None:
        scored = [t for t in self.trials if t["best_primary_metric"] is not None]
        params = self._params()
        dimensions = []
        for name in params:
            raw = [t["hyperparameters"].get(name) for t in scored]
            numbers = [_number(v) for v in raw]
            if all(n is not None for n in numbers):
                dimensions.append({"label": name, "values": numbers})
            else:  # categorical: one tick per distinct value
                labels = sorted({str(v) for v in raw})
                index = {v: i for i, v in enumerate(labels)}
                dimensions.append(
                    {
                        "label": name,
                        "values": [index[str(v)] for v in raw],
                        "tickvals": list(range(len(labels))),
                        "ticktext": labels,
                    }
                )
        values = [t["best_primary_metric"] for t in scored]
        dimensions.append({"label": self.metric, "values": values})
        self.parallel.set_data(dimensions if scored else [], values)

    def open_trial(self, run_id: str) -> None:
        """Show one trial's own details (its metrics, log and files) under the table."""
        from jupyter_mlstudio.core.run import Run

        trial = Run.get(self.workspace, run_id)
        if self.opener is not None:
            self.detail.children = [
                w.HTML(f"<b>Trial {html.escape(run_id)}</b>"),
                self.opener(trial),
            ]

    def summary_html(self) -> str:
        params = self._params()
        rows = [
            [
                html.escape(t["run_id"]),
                status_badge(t["status"]),
                html.escape(fmt(t["best_primary_metric"])),
                *[html.escape(fmt(t["hyperparameters"].get(p))) for p in params],
                html.escape(t["early_termination"] or ""),
            ]
            for t in self.trials
        ]
        headers = ["Trial", "Status", f"Best {self.metric}", *params, "Early stop"]
        return (
            super().summary_html()
            + _sweep_info(self.sweep)
            + "<h4>Trials</h4>"
            + table(headers, rows, raw_columns=range(len(headers)), empty="No trials yet.")
        )

    def summary_text(self) -> str:
        lines = [super().summary_text(), f"Trials (best {self.metric} first):"]
        for t in self.trials:
            early = f" stopped early: {t['early_termination']}" if t["early_termination"] else ""
            lines.append(
                f"  {t['run_id']} {t['status']} {fmt(t['best_primary_metric'])} "
                f"{json.dumps(t['hyperparameters'])}{early}"
            )
        return "\n".join(lines)

    def widget_data(self) -> dict[str, Any]:
        data = super().widget_data()
        data["child_runs"] = self.trials
        data["children_metrics"] = {rid: b.values.tolist() for rid, b in self.curves.items()}
        data["primary_metric"] = {"name": self.metric, "maximize": self.maximize}
        return data


def _sweep_info(sweep: dict[str, Any]) -> str:
    sampling = sweep.get("sampling") or {}
    name = sampling.get("name") or sampling.get("type") or ""
    policy = sweep.get("policy") or {}
    items = [
        ("Sampling", name),
        ("Primary metric", sweep.get("primary_metric_name")),
        ("Goal", sweep.get("primary_metric_goal")),
        ("Max total runs", sweep.get("max_total_runs")),
        ("Max concurrent runs", sweep.get("max_concurrent_runs")),
        ("Policy", policy.get("name") or policy.get("type") or "none"),
    ]
    return (
        "<div style='font-size:12px;color:#616161'>"
        + " · ".join(f"{k}: <b>{html.escape(fmt(v))}</b>" for k, v in items if v not in (None, ""))
        + "</div>"
    )


def _short(trial: dict[str, Any]) -> str:
    return trial["run_id"].rsplit("_", 1)[-1] if "_" in trial["run_id"] else trial["run_id"]


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None
