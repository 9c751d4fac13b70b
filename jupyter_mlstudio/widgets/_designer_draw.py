"""Drawing a :class:`~jupyter_mlstudio.widgets._designer_model.CanvasModel` on ipycanvas.

Two layers: the graph (edges under nodes), redrawn on every change, and an overlay on top
with what the mouse is doing (the edge being dragged out of a port, the input ports that
would take it), redrawn while the mouse moves. Each redraw is one message to the browser
(``hold_canvas``).
"""

from __future__ import annotations

import zlib
from typing import Any

from jupyter_mlstudio.widgets._designer_model import (
    NODE_H,
    NODE_W,
    PORT_R,
    CanvasModel,
    PortRef,
    curve,
)
from jupyter_mlstudio.widgets._html import STATUS_COLORS

__all__ = [
    "CATEGORY_COLORS",
    "PORT_COLORS",
    "category_color",
    "draw_graph",
    "draw_overlay",
    "label_room",
    "label_xy",
]

#: Category -> the colour of a node's left band (the palette's categories).
CATEGORY_COLORS = {
    "Data Input and Output": "#1e88e5",
    "Data Transformation": "#8e24aa",
    "Feature Selection": "#00897b",
    "Machine Learning Algorithms": "#f4511e",
    "Model Training": "#fb8c00",
    "Model Scoring and Evaluation": "#3949ab",
    "Python Language": "#546e7a",
    "Web Service": "#00acc1",
    "Inference": "#6d4c41",
    "Datasets": "#1565c0",
}
_OTHER_COLORS = ("#5e35b1", "#d81b60", "#7cb342", "#039be5", "#6d4c41", "#c0ca33")

#: Port type -> colour (as the labextension's port classes).
PORT_COLORS = {
    "DataFrame": "#1976d2",
    "UntrainedModel": "#f57c00",
    "Model": "#f57c00",
    "Transform": "#7b1fa2",
    "Metrics": "#388e3c",
    "AnyFile": "#757575",
}
ERROR, WARNING, OK = "#e53935", "#fb8c00", "#43a047"
EDGE, TEXT, MUTED, BORDER, FILL = "#9e9e9e", "#212121", "#616161", "#bdbdbd", "#ffffff"
SELECTED = "#1976d2"


def category_color(category: str) -> str:
    """The colour of a category (a stable one for categories the palette does not list)."""
    known = CATEGORY_COLORS.get(category)
    if known is not None:
        return known
    return _OTHER_COLORS[zlib.crc32(category.encode()) % len(_OTHER_COLORS)]


def _fit(text: str, width: float, px: float) -> str:
    """``text`` cut with an ellipsis to about ``width`` pixels at font size ``px``."""
    room = max(1, int(width / (px * 0.6)))
    return text if len(text) <= room else text[: max(1, room - 1)] + "…"


def label_room(count: int) -> float:
    """Pixels a port's name may take: twice the gap between ports, as neighbours' names are
    on two lines (the hover line shows a cut name in full)."""
    return NODE_W - 10 if count == 1 else 2 * NODE_W / (count + 1) - 8


def label_xy(model: CanvasModel, ref: PortRef) -> tuple[float, float]:
    """Where a port's name is centred: above an input, below an output, every other one a
    line further out so that neighbours' names do not overlap."""
    px, py = model.port_xy(ref)
    ports = model.ports(ref.node, ref.kind)
    out = 11.0 * (next(i for i, p in enumerate(ports) if p.port == ref.port) % 2)
    return (px, py - 9 - out) if ref.kind == "input" else (px, py + 17 + out)


def _edge_path(c: Any, points: list[tuple[float, float]]) -> None:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
    c.begin_path()
    c.move_to(x0, y0)
    c.bezier_curve_to(x1, y1, x2, y2, x3, y3)
    c.stroke()
    c.fill_polygon([(x3, y3 - 1), (x3 - 4.5, y3 - 9), (x3 + 4.5, y3 - 9)])


def draw_graph(c: Any, model: CanvasModel) -> None:
    """Draw every edge, then every node with its ports, marks and status."""
    doc = model.document
    bad_edges = {p.edge for p in model.problems if p.edge and p.severity == "error"}
    c.clear()
    c.line_width = 1.6
    for edge in doc.edges:
        points = model.edge_points(edge)
        if points is None:
            continue
        eid = edge.get("id")
        color = ERROR if eid in bad_edges else SELECTED if eid == model.selected else EDGE
        c.stroke_style = c.fill_style = color
        c.line_width = 3 if eid == model.selected else 1.6
        _edge_path(c, points)
    for node in doc.nodes:
        _draw_node(c, model, str(node["id"]))


def _draw_node(c: Any, model: CanvasModel, nid: str) -> None:
    x, y = model.node_xy(nid)
    comp = model.component(nid)
    problems = model.node_problems(nid)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    status = model.status.get(nid)
    # Body: white, or tinted by the step's status during a run.
    c.fill_style = FILL
    c.fill_rect(x, y, NODE_W, NODE_H)
    if status:
        c.global_alpha = 0.16
        c.fill_style = STATUS_COLORS.get(status, MUTED)
        c.fill_rect(x, y, NODE_W, NODE_H)
        c.global_alpha = 1.0
    c.fill_style = category_color(comp.category if comp else "")
    c.fill_rect(x, y, 5, NODE_H)
    if nid == model.selected:
        c.stroke_style, c.line_width = SELECTED, 3
    elif errors:
        c.stroke_style, c.line_width = ERROR, 2
    elif status:
        c.stroke_style, c.line_width = STATUS_COLORS.get(status, MUTED), 2
    else:
        c.stroke_style, c.line_width = BORDER, 1
    c.stroke_rect(x, y, NODE_W, NODE_H)
    # Title and, below it, the status during a run or else the category.
    c.text_baseline = "alphabetic"
    c.text_align = "left"
    c.fill_style = TEXT
    c.font = "bold 12px sans-serif"
    c.fill_text(_fit(model.title(nid), NODE_W - (40 if problems else 20), 12), x + 12, y + 27)
    c.font = "11px sans-serif"
    if status:
        c.fill_style = STATUS_COLORS.get(status, MUTED)
        c.fill_text(status, x + 12, y + 43)
    else:
        c.fill_style = MUTED if comp else ERROR
        sub = comp.category if comp else "unknown component"
        c.fill_text(_fit(sub, NODE_W - 20, 11), x + 12, y + 43)
    # Validation mark in the top-right corner: the error count, or "!" for warnings.
    if errors or warnings:
        c.fill_style = ERROR if errors else WARNING
        c.fill_circle(x + NODE_W - 14, y + 20, 8)
        c.fill_style = "white"
        c.font = "bold 10px sans-serif"
        c.text_align = "center"
        c.fill_text(str(len(errors)) if errors else "!", x + NODE_W - 14, y + 24)
        c.text_align = "left"
    bad_ports = {p.port for p in errors if p.port}
    for kind in ("input", "output"):
        for ref in model.ports(nid, kind):
            _draw_port(c, model, ref, ref.port in bad_ports and kind == "input")


def _draw_port(c: Any, model: CanvasModel, ref: PortRef, bad: bool) -> None:
    px, py = model.port_xy(ref)
    c.fill_style = PORT_COLORS.get(ref.type, MUTED)
    c.fill_circle(px, py, PORT_R)
    c.stroke_style, c.line_width = (ERROR, 2.5) if bad else ("white", 1.5)
    c.stroke_circle(px, py, PORT_R)
    # Port names outside the box: inputs above, outputs below.
    count = len(model.ports(ref.node, ref.kind))
    c.font = "10px sans-serif"
    c.text_align = "center"
    c.fill_style = ERROR if bad else MUTED
    c.fill_text(_fit(ref.port, label_room(count), 10), *label_xy(model, ref))
    c.text_align = "left"


def draw_overlay(c: Any, model: CanvasModel) -> None:
    """Draw the gesture in progress: the dragged edge and the inputs that would take it."""
    c.clear()
    g = model.gesture
    if g is None or g.kind != "connect" or not g.moved or g.port is None:
        return
    for node in model.document.nodes:
        for ref in model.ports(str(node["id"]), "input"):
            ok = model.connection_problem(g.port, ref) is None
            px, py = model.port_xy(ref)
            c.stroke_style = OK if ok else "#e0e0e0"
            c.line_width = 3 if ok else 1.5
            c.stroke_circle(px, py, PORT_R + 4)
    start = model.port_xy(g.port)
    end = model.port_xy(g.hover) if g.hover is not None else g.at
    refused = g.hover is not None and model.connection_problem(g.port, g.hover) is not None
    c.stroke_style = c.fill_style = ERROR if refused else SELECTED
    c.line_width = 2
    c.set_line_dash([6, 4])
    _edge_path(c, curve(start, end))
    c.set_line_dash([])
