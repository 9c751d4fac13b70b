"""The view of a pipeline run: its step graph drawn on an ipycanvas, each step coloured by its
status as the pipeline runs, a table of the steps, and a step's own details on click."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from jupyter_mlstudio.widgets._html import STATUS_COLORS, duration, status_badge, table, timestamp
from jupyter_mlstudio.widgets._table import Table
from jupyter_mlstudio.widgets._view import RunView

if TYPE_CHECKING:
    from jupyter_mlstudio.core.run import Run
    from jupyter_mlstudio.studio import Studio

__all__ = ["PipelineView", "StepBox", "layout_steps"]

BOX_W, BOX_H = 150, 44
GAP_X, GAP_Y, MARGIN = 60, 24, 16


@dataclass
class StepBox:
    """Where a step is drawn, and what it shows."""

    id: str
    name: str
    x: float
    y: float
    status: str = "NotStarted"
    run_id: str | None = None
    reused: bool = False

    def contains(self, x: float, y: float) -> bool:
        return self.x <= x <= self.x + BOX_W and self.y <= y <= self.y + BOX_H


def layout_steps(graph: dict[str, Any]) -> tuple[dict[str, StepBox], dict[str, set[str]]]:
    """Boxes in columns by depth (a step right of every step it waits for), and the edges."""
    from jupyter_mlstudio.pipeline.core.graph import dependencies, step_order

    deps = dependencies(graph)
    names = {n["id"]: n["name"] for n in graph.get("steps", [])}
    depth: dict[str, int] = {}
    for sid in step_order(graph):
        depth[sid] = 1 + max((depth[d] for d in deps.get(sid, ()) if d in depth), default=-1)
    rows: dict[int, int] = {}
    boxes: dict[str, StepBox] = {}
    for n in graph.get("steps", []):  # graph order within a column
        col = depth.get(n["id"], 0)
        row = rows.get(col, 0)
        rows[col] = row + 1
        boxes[n["id"]] = StepBox(
            n["id"], names[n["id"]], MARGIN + col * (BOX_W + GAP_X), MARGIN + row * (BOX_H + GAP_Y)
        )
    return boxes, deps


class PipelineView(RunView):
    """A pipeline run and its steps, kept current while it runs."""

    def __init__(self, run: Run, studio: Studio) -> None:
        super().__init__(run, studio)
        from ipycanvas import Canvas

        graph = (self.summary["details"].get("runDefinition") or {}).get("graph") or {}
        self.boxes, self.deps = layout_steps(graph)
        width = max((b.x for b in self.boxes.values()), default=0) + BOX_W + MARGIN
        height = max((b.y for b in self.boxes.values()), default=0) + BOX_H + MARGIN
        self.canvas = Canvas(width=int(width), height=int(height))
        self.canvas.layout.width = f"{int(width)}px"
        self.canvas.add_class("mls-pipeline-graph")
        self.canvas.on_mouse_down(self._clicked)
        self.steps: list[dict[str, Any]] = []
        self.selected: str | None = None
        self.table = Table(
            ["Step", "Status", "Started", "Duration", "Run Id", "Reused"],
            self.select_step,
            searchable=False,
        )
        self.detail = w.VBox()
        self._load_steps()
        self.header.show(self.summary)
        self.widget = w.VBox(
            [
                self.header.widget,
                w.HTML("<b>Steps</b> (click a step for its details)"),
                self.canvas,
                self.table,
                self.detail,
            ]
        )
        self.widget.add_class("mls-run-details")
        self.widget.add_class("mls-pipeline")

    # ---- reading -------------------------------------------------------------------------------
    def _load_steps(self) -> None:
        children = {c["runId"]: c for c in self.studio.runs.children(self.run_id)}
        self.steps = []
        by_name = {b.name: b for b in self.boxes.values()}
        for step in self.run.get_steps():  # type: ignore[attr-defined]
            child = children.get(step.id, {})
            status = child.get("status", step.status)
            reused = step.reused_run_id
            self.steps.append(
                {
                    "name": step.step_name,
                    "run_id": step.id,
                    "status": status,
                    "reused": reused,
                    "startedAt": child.get("startedAt"),
                    "endedAt": child.get("endedAt"),
                }
            )
            box = by_name.get(step.step_name)
            if box is not None:
                box.status, box.run_id, box.reused = status, step.id, bool(reused)
        self.table.set_rows(
            [
                (
                    s["name"],
                    [
                        s["name"],
                        s["status"],
                        timestamp(s["startedAt"]),
                        duration(s["startedAt"], s["endedAt"]),
                        s["run_id"],
                        s["reused"] or "",
                    ],
                )
                for s in self.steps
            ]
        )
        self.draw()

    def wants(self, event: dict[str, Any]) -> bool:
        rid = event.get("runId")
        return (
            rid == self.run_id
            or event.get("parentRunId") == self.run_id
            or any(s["run_id"] == rid for s in self.steps)
        )

    def apply(self, events: list[dict[str, Any]], now: float) -> None:
        super().apply(events, now)
        if any(e["type"] in ("run", "resync") for e in events):
            self._load_steps()

    def finish(self) -> None:
        super().finish()
        self._load_steps()

    # ---- drawing -------------------------------------------------------------------------------
    def draw(self) -> None:
        from ipycanvas import hold_canvas

        c = self.canvas
        with hold_canvas():
            c.clear()
            c.stroke_style = "#9e9e9e"
            c.line_width = 1.5
            for sid, needs in self.deps.items():
                target = self.boxes.get(sid)
                for dep in needs:
                    source = self.boxes.get(dep)
                    if source is None or target is None:
                        continue
                    x0, y0 = source.x + BOX_W, source.y + BOX_H / 2
                    x1, y1 = target.x, target.y + BOX_H / 2
                    c.begin_path()
                    c.move_to(x0, y0)
                    c.bezier_curve_to(x0 + GAP_X / 2, y0, x1 - GAP_X / 2, y1, x1, y1)
                    c.stroke()
                    c.fill_style = "#9e9e9e"
                    c.fill_polygon([(x1, y1), (x1 - 7, y1 - 4), (x1 - 7, y1 + 4)])
            for box in self.boxes.values():
                shown = "Reused" if box.reused and box.status == "Completed" else box.status
                c.fill_style = STATUS_COLORS.get(shown, "#757575")
                c.fill_rect(box.x, box.y, BOX_W, BOX_H)
                if box.id == self.selected:
                    c.stroke_style = "#212121"
                    c.line_width = 3
                    c.stroke_rect(box.x, box.y, BOX_W, BOX_H)
                    c.line_width = 1.5
                    c.stroke_style = "#9e9e9e"
                c.fill_style = "white"
                c.font = "bold 12px sans-serif"
                c.fill_text(box.name[:20], box.x + 8, box.y + 18)
                c.font = "11px sans-serif"
                c.fill_text(shown, box.x + 8, box.y + 35)

    def step_at(self, x: float, y: float) -> StepBox | None:
        return next((b for b in self.boxes.values() if b.contains(x, y)), None)

    def _clicked(self, x: float, y: float) -> None:
        box = self.step_at(x, y)
        if box is not None:
            self.select_step(box.name)

    def select_step(self, name: str) -> None:
        """Show the step ``name``'s run (its metrics, log and files) under the graph."""
        from jupyter_mlstudio.core.run import Run

        box = next((b for b in self.boxes.values() if b.name == name), None)
        if box is None:
            return
        self.selected = box.id
        self.draw()
        if box.run_id is None:
            self.detail.children = [w.HTML(f"Step <b>{html.escape(name)}</b> has not started.")]
            return
        if self.opener is not None:
            step = Run.get(self.workspace, box.run_id)
            self.detail.children = [
                w.HTML(f"<b>Step {html.escape(name)}</b>"),
                self.opener(step),
            ]

    # ---- text ----------------------------------------------------------------------------------
    def summary_html(self) -> str:
        rows = [
            [
                html.escape(s["name"]),
                status_badge(s["status"]),
                html.escape(duration(s["startedAt"], s["endedAt"])),
                html.escape(s["run_id"]),
                html.escape(s["reused"] or ""),
            ]
            for s in self.steps
        ]
        return (
            super().summary_html()
            + "<h4>Steps</h4>"
            + table(
                ["Step", "Status", "Duration", "Run Id", "Reused"],
                rows,
                raw_columns=range(5),
                empty="No steps have started.",
            )
        )

    def summary_text(self) -> str:
        lines = [super().summary_text(), "Steps:"]
        lines += [
            f"  {s['name']}: {s['status']}" + (f" (reused {s['reused']})" if s["reused"] else "")
            for s in self.steps
        ]
        return "\n".join(lines)

    def widget_data(self) -> dict[str, Any]:
        data = super().widget_data()
        data["child_runs"] = self.steps
        data["graph"] = {
            "nodes": {b.id: {"name": b.name, "status": b.status} for b in self.boxes.values()},
            "edges": [[d, sid] for sid, needs in self.deps.items() for d in sorted(needs)],
        }
        return data
