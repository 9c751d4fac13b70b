"""What every run view has: the run, the studio services it reads through, a header with the
run's status and times, the tail of its log, and the poller hookup."""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from jupyter_mlstudio.widgets._html import duration, status_badge, table, timestamp

if TYPE_CHECKING:
    from jupyter_mlstudio.core.run import Run
    from jupyter_mlstudio.core.workspace import Workspace
    from jupyter_mlstudio.studio import Studio

__all__ = ["TERMINAL", "LogPanel", "RunHeader", "RunView"]

TERMINAL = frozenset({"Completed", "Failed", "Canceled"})
LOG_LINES = 200  # lines of the log the widget keeps on screen
STATUS_CHECK_SECONDS = 5.0  # how often a quiet run's status is read (a dead job is noticed)


class RunHeader:
    """Status, id, times and duration of a run, as one HTML widget."""

    def __init__(self) -> None:
        self.widget = w.HTML()
        self.widget.add_class("mls-run-header")

    def show(self, summary: dict[str, Any], now: float | None = None) -> None:
        self.widget.value = header_html(summary, now)


def header_html(summary: dict[str, Any], now: float | None = None) -> str:
    error = (summary.get("error") or {}).get("message")
    rows = [
        ("Status", status_badge(summary["status"])),
        ("Run Id", html.escape(summary["runId"])),
        ("Experiment", html.escape(summary.get("experiment") or "")),
        ("Type", html.escape(summary.get("runType") or "")),
        ("Target", html.escape(summary.get("target") or "local")),
        ("Started", html.escape(timestamp(summary.get("startedAt")))),
        (
            "Duration",
            html.escape(duration(summary.get("startedAt"), summary.get("endedAt"), now)),
        ),
    ]
    if error:
        rows.append(("Error", f"<span style='color:#e53935'>{html.escape(error)}</span>"))
    cells = "".join(
        f"<div style='margin-right:18px'><div style='color:#757575;font-size:11px'>{k}</div>"
        f"<div class='mls-field-{k.lower().replace(' ', '-')}'>{v}</div></div>"
        for k, v in rows
    )
    return f"<div style='display:flex;flex-wrap:wrap;align-items:flex-end'>{cells}</div>"


class LogPanel:
    """The last lines of a run's log, following it as it grows."""

    def __init__(self, studio: Studio, run_id: str) -> None:
        self._runs = studio.runs
        self._run_id = run_id
        self._offset: int | None = None
        self.lines: list[str] = []
        self.widget = w.HTML()
        self.widget.add_class("mls-log")

    def read(self) -> bool:
        """Read what was appended; True if there was something new."""
        if self._offset is None:
            chunk = self._runs.read_log(self._run_id)
        else:
            chunk = self._runs.read_log(self._run_id, offset=self._offset)
        self._offset = chunk.offset
        if not chunk.text:
            if not self.lines and not self.widget.value:
                self._render()
            return False
        self.lines = (self.lines + chunk.text.splitlines())[-LOG_LINES:]
        self._render()
        return True

    def _render(self) -> None:
        text = "\n".join(self.lines) if self.lines else "(no log yet)"
        self.widget.value = (
            "<pre style='max-height:220px;overflow:auto;font-size:11px;margin:0;"
            "background:var(--jp-layout-color2,#f5f5f5);padding:4px'>"
            f"{html.escape(text)}</pre>"
        )


class RunView:
    """Base of the run views: subclasses build ``self.widget`` and refresh it in ``update``.

    A view watches its own run; ``wants`` says which change-feed events concern it. ``update``
    is called by the poller thread once a tick with those events and returns False when the
    run has ended (after a last full refresh) or the widget was closed.
    """

    def __init__(self, run: Run, studio: Studio) -> None:
        self.run = run
        self.run_id = run.id
        self.studio = studio
        self.summary: dict[str, Any] = studio.runs.details(run.id)
        self.header = RunHeader()
        self.widget: w.Widget = w.VBox()
        self._last_status_check = time.time()
        self.closed = False
        # Set by RunDetails: makes the widget of another run's view (a trial, a step).
        self.opener: Callable[[Run], w.Widget] | None = None

    @property
    def workspace(self) -> Workspace:
        return self.run.experiment.workspace

    @property
    def status(self) -> str:
        return str(self.summary["status"])

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    # ---- the poller's side -----------------------------------------------------------------
    def wants(self, event: dict[str, Any]) -> bool:
        return event.get("runId") == self.run_id

    def update(self, events: list[dict[str, Any]], now: float) -> bool:
        if self.closed or getattr(self.widget, "comm", None) is None:
            return False
        status_changed = any(e["type"] == "run" and e["runId"] == self.run_id for e in events)
        if status_changed or now - self._last_status_check >= STATUS_CHECK_SECONDS:
            # get_status also ends a run whose process died without saying so.
            self._last_status_check = now
            if self.run.get_status() != self.status or status_changed:
                self.summary = self.studio.runs.details(self.run_id)
        self.apply(events, now)
        if self.is_terminal:
            self.finish()
            return False
        return True

    def apply(self, events: list[dict[str, Any]], now: float) -> None:
        """Apply a tick's events (subclasses); the header shows the duration growing."""
        self.header.show(self.summary, now)

    def finish(self) -> None:
        """A last full refresh once the run has ended."""
        self.summary = self.studio.runs.details(self.run_id)
        self.header.show(self.summary)

    def close(self) -> None:
        self.closed = True

    # ---- what is shown where widgets cannot be ---------------------------------------------
    def summary_html(self) -> str:
        params = sorted((self.summary.get("params") or {}).items())
        metrics = sorted((self.summary.get("metrics") or {}).items())
        return (
            header_html(self.summary)
            + "<h4>Parameters</h4>"
            + table(["Name", "Value"], params, empty="No parameters.")
            + "<h4>Metrics (latest)</h4>"
            + table(["Name", "Value"], metrics, empty="No metrics.")
        )

    def summary_text(self) -> str:
        s = self.summary
        lines = [
            f"Run {s['runId']} ({s.get('runType')}) in {s.get('experiment')}: {s['status']}",
            f"Started {timestamp(s.get('startedAt')) or '-'}, "
            f"duration {duration(s.get('startedAt'), s.get('endedAt')) or '-'}",
        ]
        if s.get("params"):
            lines.append("Parameters: " + ", ".join(f"{k}={v}" for k, v in s["params"].items()))
        if s.get("metrics"):
            lines.append(
                "Metrics: " + ", ".join(f"{k}={v}" for k, v in sorted(s["metrics"].items()))
            )
        return "\n".join(lines)

    def widget_data(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "run_id": self.run_id,
            "run_properties": {
                k: self.summary.get(k)
                for k in ("experiment", "runType", "target", "startedAt", "endedAt", "error")
            },
            "run_metrics": dict(self.summary.get("metrics") or {}),
            "params": dict(self.summary.get("params") or {}),
        }
