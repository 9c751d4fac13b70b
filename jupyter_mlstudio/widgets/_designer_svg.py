"""The designer graph as an SVG picture: what a notebook shows where widgets cannot render
(a static HTML export, GitHub's viewer, a console that keeps HTML). Same geometry and
colours as the canvas."""

from __future__ import annotations

import html

from jupyter_mlstudio.widgets._designer_draw import (
    BORDER,
    EDGE,
    ERROR,
    MUTED,
    PORT_COLORS,
    TEXT,
    WARNING,
    _fit,
    category_color,
    label_room,
    label_xy,
)
from jupyter_mlstudio.widgets._designer_model import NODE_H, NODE_W, PORT_R, CanvasModel
from jupyter_mlstudio.widgets._html import STATUS_COLORS

__all__ = ["graph_svg"]


def graph_svg(model: CanvasModel) -> str:
    """An ``<svg>`` element drawing every edge and node of ``model``."""
    width, height = model.size()
    bad_edges = {p.edge for p in model.problems if p.edge and p.severity == "error"}
    parts = [
        f'<svg class="mls-designer-svg" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif">'
    ]
    for edge in model.document.edges:
        points = model.edge_points(edge)
        if points is None:
            continue
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
        color = ERROR if edge.get("id") in bad_edges else EDGE
        parts.append(
            f'<path d="M{x0:.1f},{y0:.1f} C{x1:.1f},{y1:.1f} {x2:.1f},{y2:.1f} {x3:.1f},{y3:.1f}"'
            f' fill="none" stroke="{color}" stroke-width="1.6"/>'
        )
    for node in model.document.nodes:
        nid = str(node["id"])
        x, y = model.node_xy(nid)
        comp = model.component(nid)
        problems = model.node_problems(nid)
        errors = sum(1 for p in problems if p.severity == "error")
        status = model.status.get(nid)
        stroke = ERROR if errors else STATUS_COLORS.get(status, BORDER) if status else BORDER
        fill = STATUS_COLORS.get(status, MUTED) if status else "#ffffff"
        opacity = "0.16" if status else "1"
        parts.append(
            f'<g class="mls-designer-svg-node" data-node-id="{html.escape(nid)}">'
            f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" fill="#ffffff"/>'
            f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" fill="{fill}" '
            f'fill-opacity="{opacity}" stroke="{stroke}"/>'
            f'<rect x="{x}" y="{y}" width="5" height="{NODE_H}" '
            f'fill="{category_color(comp.category if comp else "")}"/>'
            f'<text x="{x + 12}" y="{y + 27}" font-size="12" font-weight="bold" fill="{TEXT}">'
            f"{html.escape(_fit(model.title(nid), NODE_W - (40 if problems else 20), 12))}</text>"
            f'<text x="{x + 12}" y="{y + 43}" font-size="11" '
            f'fill="{STATUS_COLORS.get(status, MUTED) if status else MUTED}">'
            f"{html.escape(status or (comp.category if comp else 'unknown component'))}</text>"
        )
        if problems:
            mark = str(errors) if errors else "!"
            parts.append(
                f'<circle cx="{x + NODE_W - 14}" cy="{y + 20}" r="8" '
                f'fill="{ERROR if errors else WARNING}"/>'
                f'<text x="{x + NODE_W - 14}" y="{y + 24}" font-size="10" fill="white" '
                f'text-anchor="middle" font-weight="bold">{mark}</text>'
            )
        for kind in ("input", "output"):
            ports = model.ports(nid, kind)
            for ref in ports:
                px, py = model.port_xy(ref)
                _, ly = label_xy(model, ref)
                parts.append(
                    f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{PORT_R}" '
                    f'fill="{PORT_COLORS.get(ref.type, MUTED)}" stroke="white"/>'
                    f'<text x="{px:.1f}" y="{ly:.1f}" font-size="10" fill="{MUTED}" '
                    f'text-anchor="middle">'
                    f"{html.escape(_fit(ref.port, label_room(len(ports)), 10))}</text>"
                )
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)
