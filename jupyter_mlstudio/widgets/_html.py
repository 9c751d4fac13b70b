"""Small HTML pieces the widgets and their text/HTML fallback share."""

from __future__ import annotations

import html
import math
import os
import time
import urllib.parse
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "STATUS_COLORS",
    "artifact_url",
    "sparkline",
    "duration",
    "fmt",
    "status_badge",
    "table",
    "timestamp",
]

# Status -> colour, as the studio's run list shows them.
STATUS_COLORS = {
    "NotStarted": "#9e9e9e",
    "Queued": "#9e9e9e",
    "Preparing": "#42a5f5",
    "Starting": "#42a5f5",
    "Provisioning": "#42a5f5",
    "Running": "#1e88e5",
    "Finalizing": "#1e88e5",
    "CancelRequested": "#fb8c00",
    "Completed": "#43a047",
    "Failed": "#e53935",
    "Canceled": "#fb8c00",
    "Reused": "#7cb342",
}


_CELL = "padding:2px 12px 2px 0;border-bottom:1px solid var(--jp-border-color2,#e0e0e0)"


def status_badge(status: str) -> str:
    color = STATUS_COLORS.get(status, "#757575")
    return (
        f'<span class="mls-status" data-status="{html.escape(status)}" style="background:{color};'
        'color:white;border-radius:3px;padding:1px 6px;font-weight:600">'
        f"{html.escape(status)}</span>"
    )


def fmt(value: Any) -> str:
    """A cell's text: numbers short, the rest as given."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return f"{value:.6g}"
    return str(value)


def timestamp(ts: float | None) -> str:
    if not ts:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def duration(started: float | None, ended: float | None, now: float | None = None) -> str:
    if not started:
        return ""
    seconds = max(0.0, (ended or now or time.time()) - started)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    raw_columns: Iterable[int] = (),
    empty: str = "",
) -> str:
    """An HTML table; cells are escaped except those in ``raw_columns`` (already HTML)."""
    raw = set(raw_columns)
    body = [
        "<tr>"
        + "".join(
            f"<td style='{_CELL}'>{cell if i in raw else html.escape(fmt(cell))}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    ]
    if not body and empty:
        return f'<div class="mls-empty" style="color:#757575">{html.escape(empty)}</div>'
    head = "".join(f"<th style='text-align:left;{_CELL}'>{html.escape(h)}</th>" for h in headers)
    return (
        '<table class="mls-table" style="border-collapse:collapse;font-size:12px">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def artifact_url(run_id: str, name: str) -> str:
    """The studio's link for a run file, from the Jupyter server's base URL."""
    base = os.environ.get("JUPYTERHUB_SERVICE_PREFIX") or "/"
    query = urllib.parse.urlencode({"path": name})
    return (
        f"{base.rstrip('/')}/mlstudio/api/v1/runs/{urllib.parse.quote(run_id, safe='')}"
        f"/artifacts/content?{query}"
    )


def sparkline(
    title: str, xs: Sequence[float], ys: Sequence[float], *, width: int = 320, height: int = 90
) -> str:
    """A small static SVG line chart: what the text/HTML fallback shows of a series where no
    widget can be drawn (a static render of the notebook, a viewer without ipywidgets)."""
    points = [(float(x), float(y)) for x, y in zip(xs, ys, strict=True) if math.isfinite(y)]
    if len(points) < 2:
        return ""
    x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
    y0, y1 = min(p[1] for p in points), max(p[1] for p in points)
    pad = 4
    sx = (width - 2 * pad) / ((x1 - x0) or 1.0)
    sy = (height - 2 * pad) / ((y1 - y0) or 1.0)
    path = " ".join(
        f"{pad + (x - x0) * sx:.1f},{height - pad - (y - y0) * sy:.1f}" for x, y in points
    )
    label = html.escape(f"{title}: {fmt(y0)} to {fmt(y1)}, steps {fmt(x0)} to {fmt(x1)}")
    return (
        f"<div class='mls-sparkline' style='display:inline-block;margin:0 12px 8px 0'>"
        f"<div style='font-size:11px;color:#616161'>{label}</div>"
        f"<svg width='{width}' height='{height}' style='border:1px solid #e0e0e0'>"
        f"<polyline fill='none' stroke='#636efa' stroke-width='1.5' points='{path}'/></svg></div>"
    )
