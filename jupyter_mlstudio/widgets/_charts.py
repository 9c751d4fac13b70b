"""Live plotly charts in ipywidgets: metric series, one chart each.

Each chart is a plotly ``Figure`` shown in an ``ipywidgets.Output`` as plotly's own MIME
bundle (``application/vnd.plotly.v1+json``, drawn by the jupyterlab-plotly renderer that comes
with plotly, and by VS Code's); a live update replaces that output. Not ``FigureWidget``: its
anywidget model carries plotly's whole 5 MB bundle in every figure's state, and in JupyterLab
4.6 the first FigureWidget of a page was often drawn empty (data and layout missing), so a run's
chart could stay blank.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as w

from jupyter_mlstudio.widgets._series import CHART_POINTS, SeriesBuffer

__all__ = ["LiveFigure", "SeriesCharts", "chart_row", "line_figure"]

CHART_HEIGHT = 260
CHART_WIDTH = 460


def chart_row(children: list[Any] | None = None) -> w.Box:
    """Charts side by side, wrapping to the next line when the output is narrow. The figures
    have a fixed width: plotly sizes an autosized figure once, from a container that is not
    laid out yet, and it would then overflow its cell."""
    return w.Box(children or [], layout=w.Layout(display="flex", flex_flow="row wrap"))


def line_figure(
    title: str, *, height: int = CHART_HEIGHT, width: int = CHART_WIDTH, x_title: str = "step"
) -> Any:
    """An empty figure laid out for a small live chart."""
    import plotly.graph_objects as go

    return go.Figure(
        layout={
            "title": {"text": title, "font": {"size": 13}, "x": 0.02},
            "height": height,
            "width": width,
            "margin": {"l": 50, "r": 10, "t": 36, "b": 36},
            "xaxis": {"title": {"text": x_title}, "gridcolor": "#eeeeee", "zeroline": False},
            "yaxis": {"gridcolor": "#eeeeee", "zeroline": False},
            "showlegend": False,
            # No named template: copying one costs more than the rest of the figure.
            "template": "none",
            "paper_bgcolor": "white",
            "plot_bgcolor": "white",
            "colorway": ["#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3"],
        }
    )


class LiveFigure:
    """A figure and the Output widget that shows it; :meth:`show` sends its current state."""

    def __init__(self, figure: Any) -> None:
        self.figure = figure
        width = figure.layout.width
        # As wide as the figure, so that charts sit side by side in a chart_row.
        self.widget = w.Output(layout=w.Layout(width=f"{int(width) + 16}px" if width else None))
        self.widget.add_class("mls-chart")

    def show(self) -> None:
        # Setting ``outputs`` (not ``with output:``) is safe from the poller thread.
        self.widget.outputs = (
            {"output_type": "display_data", "data": plotly_bundle(self.figure), "metadata": {}},
        )


def plotly_bundle(figure: Any) -> dict[str, Any]:
    """plotly's MIME bundle for ``figure`` (arrays as typed-array specs: compact)."""
    import json

    import plotly.io as pio

    spec = json.loads(pio.to_json(figure, validate=False))
    title = ((spec.get("layout") or {}).get("title") or {}).get("text") or "chart"
    return {
        "application/vnd.plotly.v1+json": {
            "data": spec.get("data", []),
            "layout": spec.get("layout", {}),
            "config": {"displaylogo": False},
        },
        "text/plain": f"<plotly chart: {title}>",
    }


class SeriesCharts:
    """One chart per numeric series of a run; charts appear as series do."""

    def __init__(self, max_points: int = CHART_POINTS) -> None:
        self.max_points = max_points
        self.buffers: dict[str, SeriesBuffer] = {}
        self.figures: dict[str, Any] = {}
        self.views: dict[str, LiveFigure] = {}
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
            shown = f"{len(x):,} of {buffer.total_logged:,} points"
            title += f" <span style='font-size:10px'>({shown})</span>"
        figure = self.figures.get(key)
        if figure is None:
            figure = line_figure(title)
            figure.add_scatter(
                x=x, y=y, mode="lines+markers" if len(x) <= 60 else "lines", name=key
            )
            self.figures[key] = figure
            self.views[key] = LiveFigure(figure)
            self.views[key].show()
            self.grid.children = [self.views[k].widget for k in sorted(self.views)]
            return
        with figure.batch_update():
            trace = figure.data[0]
            trace.x, trace.y = x, y
            trace.mode = "lines+markers" if len(x) <= 60 else "lines"
            figure.layout.title.text = title
        self.views[key].show()

    def point_counts(self) -> dict[str, int]:
        """Points each chart draws (after downsampling)."""
        return {k: len(f.data[0].x) for k, f in self.figures.items()}
