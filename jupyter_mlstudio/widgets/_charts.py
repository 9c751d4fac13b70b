"""Live charts as bqplot widgets: metric series, one chart each, updated in place.

bqplot is a pure ipywidgets library (its front end is an ordinary widget module that
JupyterLab 4, Notebook 7 and VS Code load like ipywidgets' own), so a live update sets a
line's ``x`` and ``y`` (sent as binary buffers) and the browser redraws that line in the same
SVG: a zoom or pan the user made stays, because it lives in the scales' ``min``/``max``, which
an update does not touch. Each chart has pan and zoom (drag, wheel) and bqplot's toolbar,
whose reset button (or :meth:`LineChart.reset_zoom`) follows the data again.

Not plotly: its ``FigureWidget`` is an anywidget that carries plotly.js (5 MB) in every
figure's state and was drawn empty in JupyterLab 4.6, and a plotly figure re-sent into an
``Output`` is a new plot each time, so the user's zoom was lost at every update.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import ipywidgets as w
import numpy as np

from jupyter_mlstudio.widgets._series import CHART_POINTS, SeriesBuffer

__all__ = ["LineChart", "ParallelChart", "SeriesCharts", "chart_row"]

CHART_HEIGHT = 260
CHART_WIDTH = 460
COLORS = ["#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692"]
MARKERS_UP_TO = 60  # a line of at most this many points also marks each point


def chart_row(children: list[Any] | None = None) -> w.Box:
    """Charts side by side, wrapping to the next line when the output is narrow."""
    return w.Box(children or [], layout=w.Layout(display="flex", flex_flow="row wrap"))


class LineChart:
    """A bqplot figure of named lines that a live view updates in place.

    Parameters
    ----------
    title : str
        Shown above the plot.
    x_label, y_label : str
        Axis labels.
    width, height : int
        Size in pixels.
    labels : bool
        A legend beside the plot, naming each line in its colour (bqplot's own legend box
        sits inside the plot, over the newest points).
    """

    def __init__(
        self,
        title: str,
        *,
        x_label: str = "step",
        y_label: str = "",
        width: int = CHART_WIDTH,
        height: int = CHART_HEIGHT,
        labels: bool = False,
    ) -> None:
        import bqplot as bq

        self.labels = labels
        self.x_scale = bq.LinearScale()
        self.y_scale = bq.LinearScale()
        self.x_axis = bq.Axis(scale=self.x_scale, label=x_label, grid_color="#eeeeee")
        axes = [
            self.x_axis,
            bq.Axis(
                scale=self.y_scale,
                side="left",
                label=y_label,
                tick_format=".3~g",
                grid_color="#eeeeee",
            ),
        ]
        self.zoom = bq.interacts.PanZoom(scales={"x": [self.x_scale], "y": [self.y_scale]})
        self.figure = bq.Figure(
            marks=[],
            axes=axes,
            title=title,
            interaction=self.zoom,
            fig_margin={"top": 36, "bottom": 42, "left": 58, "right": 14},
            title_style={"font-size": "13px"},
            animation_duration=0,
            layout=w.Layout(width=f"{width}px", height=f"{height}px"),
        )
        self.figure.add_class("mls-chart")
        self.legend = w.HTML(layout=w.Layout(margin="36px 0 0 0", max_height=f"{height - 40}px"))
        self.legend.add_class("mls-legend")
        self.widget: w.Widget = w.HBox([self.figure, self.legend]) if labels else self.figure
        self.lines: dict[str, Any] = {}

    @property
    def title(self) -> str:
        """The text above the plot."""
        return str(self.figure.title)

    @title.setter
    def title(self, text: str) -> None:
        if self.figure.title != text:
            self.figure.title = text

    def set_line(
        self,
        name: str,
        x: Sequence[float] | np.ndarray,
        y: Sequence[float] | np.ndarray,
        *,
        dashed: bool = False,
        marker: str | None = None,
    ) -> None:
        """Draw ``name``'s points: a new line, or the same line's data replaced in place."""
        import bqplot as bq

        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if marker is None and len(x) <= MARKERS_UP_TO:
            marker = "circle"
        style = "dashed" if dashed else "solid"
        line = self.lines.get(name)
        if line is None:
            line = bq.Lines(
                x=x,
                y=y,
                scales={"x": self.x_scale, "y": self.y_scale},
                colors=[COLORS[len(self.lines) % len(COLORS)]],
                labels=[name],
                stroke_width=1.5,
                marker=marker,
                marker_size=16,
                line_style=style,
            )
            self.lines[name] = line
            self.figure.marks = [*self.figure.marks, line]
            self._show_legend()
            return
        with line.hold_sync():
            line.x, line.y = x, y
            if line.marker != marker:
                line.marker = marker
            if line.line_style != style:
                line.line_style = style
                self._show_legend()

    def keep_lines(self, names: Sequence[str]) -> None:
        """Remove the lines not named (a trial that is no longer shown)."""
        gone = [n for n in self.lines if n not in set(names)]
        if gone:
            for name in gone:
                del self.lines[name]
            self.figure.marks = list(self.lines.values())
            self._show_legend()

    def _show_legend(self) -> None:
        if not self.labels:
            return
        rows = []
        for name, line in self.lines.items():
            dash = "dashed" if line.line_style == "dashed" else "solid"
            rows.append(
                "<div style='white-space:nowrap;font-size:11px;line-height:16px'>"
                f"<span style='display:inline-block;width:18px;border-top:2px {dash} "
                f"{line.colors[0]};vertical-align:middle;margin-right:4px'></span>"
                f"{html.escape(name)}</div>"
            )
        self.legend.value = "".join(rows)

    def points(self, name: str) -> np.ndarray:
        """The y values the chart draws for ``name``."""
        return np.asarray(self.lines[name].y)

    def xs(self, name: str) -> np.ndarray:
        """The x values the chart draws for ``name``."""
        return np.asarray(self.lines[name].x)

    def integer_ticks(self, xs: Sequence[float]) -> None:
        """Ticks at these x values only when they are a few (iterations or steps 0 to 4, not
        0, 0.5, 1...); more values leave the ticks to the axis."""
        ticks = sorted(set(xs))
        values = np.asarray(ticks) if 1 < len(ticks) <= 15 else None
        if values is None and self.x_axis.tick_values is None:
            return
        self.x_axis.tick_values = values

    @property
    def zoomed(self) -> bool:
        """Whether the user panned or zoomed (the scales no longer follow the data)."""
        return any(s.min is not None or s.max is not None for s in (self.x_scale, self.y_scale))

    def reset_zoom(self) -> None:
        """Follow the data again after a pan or zoom."""
        for scale in (self.x_scale, self.y_scale):
            with scale.hold_sync():
                scale.min = None
                scale.max = None


class ParallelChart:
    """Parallel coordinates of parameters against a metric: one line per trial across a
    vertical axis per parameter, each axis scaled to its own range (its lowest and highest
    value written at its ends), coloured by the metric on viridis (yellow: the best)."""

    def __init__(self, title: str, *, width: int = 560, height: int = 320) -> None:
        import bqplot as bq

        self.x_scale = bq.OrdinalScale()
        self.y_scale = bq.LinearScale(min=-0.05, max=1.05)
        self.color_scale = bq.ColorScale(scheme="viridis")
        self.x_axis = bq.Axis(scale=self.x_scale, grid_lines="none", tick_style={"font-size": 11})
        self.lines = bq.Lines(
            x=[],
            y=[],
            color=None,
            scales={"x": self.x_scale, "y": self.y_scale, "color": self.color_scale},
            stroke_width=2,
        )
        self.rules = bq.Lines(
            x=[], y=[], scales={"x": self.x_scale, "y": self.y_scale}, colors=["#9e9e9e"]
        )
        self.ranges = bq.Label(
            x=[],
            y=[],
            text=[],
            scales={"x": self.x_scale, "y": self.y_scale},
            align="middle",
            default_size=10,
            font_unit="px",
            colors=["#616161"],
        )
        self.figure = bq.Figure(
            marks=[self.rules, self.lines, self.ranges],
            axes=[self.x_axis],
            title=title,
            fig_margin={"top": 40, "bottom": 40, "left": 30, "right": 30},
            title_style={"font-size": "13px"},
            animation_duration=0,
            layout=w.Layout(width=f"{width}px", height=f"{height}px"),
        )
        self.figure.add_class("mls-chart")
        self.figure.add_class("mls-parallel")
        self.widget = self.figure
        self.dimensions: list[dict[str, Any]] = []

    def set_data(self, dimensions: list[dict[str, Any]], metric: Sequence[float]) -> None:
        """Draw one line per row: ``dimensions`` are ``{"label", "values"[, "ticktext"]}``
        (categorical values as indices into ``ticktext``), ``metric`` colours the lines."""
        self.dimensions = dimensions
        if not dimensions or not len(metric):
            with self.figure.hold_sync():
                self.lines.x, self.lines.y, self.lines.color = [], [], None
                self.rules.x, self.rules.y = [], []
                self.ranges.x, self.ranges.y, self.ranges.text = [], [], []
            return
        names = [d["label"] for d in dimensions]
        grid = np.array([_unit(d["values"]) for d in dimensions], dtype=np.float64).T
        labels_x, labels_y, texts = [], [], []
        for d in dimensions:
            low, high = _range_text(d)
            labels_x += [d["label"], d["label"]]
            labels_y += [-0.05, 1.05]
            texts += [low, high]
        with self.figure.hold_sync():
            self.x_scale.domain = names
            self.lines.x = names
            self.lines.y = grid
            self.lines.color = np.asarray(metric, dtype=np.float64)
            self.rules.x = [[n, n] for n in names]
            self.rules.y = [[0.0, 1.0] for _ in names]
            self.ranges.x, self.ranges.y, self.ranges.text = labels_x, labels_y, texts

    def reverse_colors(self, reverse: bool) -> None:
        """Yellow for the best trials: the scale reversed when a lower metric is better."""
        self.color_scale.scheme = "viridis"
        self.color_scale.reverse = reverse


def _unit(values: Sequence[float]) -> list[float]:
    v = np.asarray(values, dtype=np.float64)
    if not len(v):
        return []
    low, high = np.nanmin(v), np.nanmax(v)
    if not np.isfinite(low) or high == low:
        return [0.5] * len(v)
    return ((v - low) / (high - low)).tolist()


def _range_text(dimension: dict[str, Any]) -> tuple[str, str]:
    ticks = dimension.get("ticktext")
    if ticks:
        return str(ticks[0]), str(ticks[-1])
    v = np.asarray(dimension["values"], dtype=np.float64)
    if not len(v):
        return "", ""
    return f"{np.nanmin(v):.3g}", f"{np.nanmax(v):.3g}"


class SeriesCharts:
    """One chart per numeric series of a run; charts appear as series do.

    A chart draws at most ``max_points`` points of its series (downsampled, extremes kept);
    the "All points" toggle draws every point held.
    """

    def __init__(self, max_points: int = CHART_POINTS) -> None:
        self.max_points = max_points
        self.buffers: dict[str, SeriesBuffer] = {}
        self.charts: dict[str, LineChart] = {}
        self.grid = chart_row()
        # Long series are drawn downsampled; this draws every point (on request only).
        self.all_points = w.ToggleButton(
            description="All points",
            tooltip="Draw every point of the long series (they are downsampled by default)",
            layout=w.Layout(width="110px", display="none"),
        )
        self.all_points.observe(lambda _: self.redraw(), "value")
        self.widget = w.VBox([self.all_points, self.grid])
        self.widget.add_class("mls-charts")

    def set_series(
        self, key: str, steps: Sequence[int], values: Sequence[float | None], total: int
    ) -> None:
        """Hold ``key``'s points (replacing what was held) and draw them."""
        self.buffers[key] = SeriesBuffer(key, steps, values, total_logged=total)
        self._draw(key)

    def extend(self, key: str, steps: Sequence[int], values: Sequence[float | None]) -> bool:
        """Add live points to a series the charts hold; False if it holds no such series."""
        buffer = self.buffers.get(key)
        if buffer is None:
            return False
        if buffer.extend(steps, values):
            self._draw(key)
        return True

    def redraw(self) -> None:
        """Draw every series again (after the "All points" toggle)."""
        for key in self.buffers:
            self._draw(key)

    def _draw(self, key: str) -> None:
        buffer = self.buffers[key]
        if len(buffer) < 2:
            return  # one value is a scalar: the metrics table shows it
        if len(buffer) > self.max_points:
            self.all_points.layout.display = None
        limit = len(buffer) if self.all_points.value else self.max_points
        x, y = buffer.chart_points(limit)
        title = key
        if buffer.total_logged > len(x):
            title += f" ({len(x):,} of {buffer.total_logged:,} points)"
        chart = self.charts.get(key)
        if chart is None:
            chart = LineChart(title)
            self.charts[key] = chart
            chart.set_line(key, x, y)
            self.grid.children = [self.charts[k].widget for k in sorted(self.charts)]
            return
        with chart.figure.hold_sync():
            chart.title = title
            chart.set_line(key, x, y)

    def point_counts(self) -> dict[str, int]:
        """Points each chart draws (after downsampling)."""
        return {k: len(c.points(k)) for k, c in self.charts.items()}
