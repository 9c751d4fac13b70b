"""The view of a script or interactive run: header, live metric charts, parameter and metric
tables, the log's tail and the run's files."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from jupyter_mlstudio.widgets._charts import SeriesCharts
from jupyter_mlstudio.widgets._html import artifact_url, sparkline, table
from jupyter_mlstudio.widgets._series import gc_paused
from jupyter_mlstudio.widgets._view import LogPanel, RunView

if TYPE_CHECKING:
    from jupyter_mlstudio.core.run import Run
    from jupyter_mlstudio.studio import Studio

__all__ = ["ScriptView"]

FULL_READ = 100_000  # points read per series when the widget opens (the route's maximum)
_SERIES_KINDS = ("scalar", "list")


class ScriptView(RunView):
    """Everything one run logged, kept current while it runs."""

    def __init__(self, run: Run, studio: Studio, *, with_log: bool = True) -> None:
        super().__init__(run, studio)
        self.charts = SeriesCharts()
        self.latest: dict[str, Any] = {}
        self.params_table = w.HTML()
        self.metrics_table = w.HTML()
        self.files = w.HTML()
        self.log = LogPanel(studio, run.id) if with_log else None
        self._load_metrics()
        self._show_tables()
        self._show_files()
        if self.log is not None:
            self.log.read()
        self.header.show(self.summary)
        tables = w.HBox(
            [_titled("Parameters", self.params_table), _titled("Metrics", self.metrics_table)],
            layout=w.Layout(grid_gap="24px"),
        )
        parts: list[w.Widget] = [self.header.widget, self.charts.widget, tables]
        parts.append(_titled("Output files", self.files))
        if self.log is not None:
            parts.append(_titled("Log", self.log.widget))
        self.widget = w.VBox(parts)
        self.widget.add_class("mls-run-details")

    # ---- reading -----------------------------------------------------------------------------
    def _load_metrics(self) -> None:
        strings = []
        for m in self.summary.get("metricKeys", []):
            key, count = m["key"], m["count"]
            if m["kind"] in _SERIES_KINDS and count > 1 and m["latest"] is not None:
                self._read_series(key)
            if m["kind"] == "scalar":
                self.latest[key] = m["latest"]
                if m["latest"] is None:
                    strings.append(key)
        if strings:  # text and boolean values are not in the numeric summary
            for key in strings:
                value = self.run.get_metrics(name=key).get(key)
                self.latest[key] = value[-1] if isinstance(value, list) else value

    def apply(self, events: list[dict[str, Any]], now: float) -> None:
        super().apply(events, now)
        changed = False
        for event in events:
            if event["type"] == "metrics" and event["runId"] == self.run_id:
                self._add_points(event["key"], event["steps"], event["values"])
                changed = True
            elif event["type"] == "resync":
                self.summary = self.studio.runs.details(self.run_id)
                self._load_metrics()
                changed = True
        if changed:
            self._show_tables()
        if self.log is not None:
            self.log.read()

    def _add_points(self, key: str, steps: list[int], values: list[float | None]) -> None:
        if values:
            self.latest[key] = values[-1]
        if not self.charts.extend(key, steps, values):
            # A new series, or a scalar that just became one: read it whole once.
            self._read_series(key)

    def _read_series(self, key: str) -> None:
        with gc_paused():
            s = self.studio.runs.series(self.run_id, key, max_points=FULL_READ)
        self.charts.set_series(key, s.steps, s.values, s.total)

    def finish(self) -> None:
        super().finish()
        self._load_metrics()
        self._show_tables()
        self._show_files()
        if self.log is not None:
            self.log.read()

    # ---- showing -------------------------------------------------------------------------------
    def _show_tables(self) -> None:
        params = sorted((self.summary.get("params") or {}).items())
        self.params_table.value = table(["Name", "Value"], params, empty="No parameters.")
        series = self.charts.buffers
        rows = [
            (k, v, len(series[k]) if k in series else 1) for k, v in sorted(self.latest.items())
        ]
        self.metrics_table.value = table(["Name", "Latest", "Values"], rows, empty="No metrics.")

    def _show_files(self) -> None:
        files = self.studio.runs.artifacts(self.run_id)
        rows = [
            (
                f"<a href='{html.escape(artifact_url(self.run_id, f['name']))}' target='_blank'>"
                f"{html.escape(f['name'])}</a>",
                f["contentType"],
            )
            for f in files
        ]
        self.files.value = table(["File", "Type"], rows, raw_columns=[0], empty="No files yet.")

    def summary_html(self) -> str:
        """The run as HTML, its series as small static line charts (at most 300 points)."""
        charts = "".join(
            sparkline(key, *buffer.chart_points(300))
            for key, buffer in sorted(self.charts.buffers.items())
            if len(buffer) > 1
        )
        return (
            super().summary_html()
            + (f"<h4>Metric series</h4><div>{charts}</div>" if charts else "")
            + "<h4>Output files</h4>"
            + self.files.value
        )

    def widget_data(self) -> dict[str, Any]:
        data = super().widget_data()
        data["run_metrics"] = {
            **{k: v for k, v in self.latest.items()},
            **{k: b.values.tolist() for k, b in self.charts.buffers.items()},
        }
        data["run_logs"] = "\n".join(self.log.lines) if self.log is not None else ""
        return data


def _titled(title: str, body: w.Widget) -> w.VBox:
    return w.VBox([w.HTML(f"<b>{html.escape(title)}</b>"), body])
