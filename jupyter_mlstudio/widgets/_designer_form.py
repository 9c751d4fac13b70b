"""The side panel of the notebook designer: the selected node's name and parameters as a form
made from its component's parameter schemas (types, ranges, choices), or the selected edge.

Each field writes through :meth:`CanvasModel.set_parameter`, which checks the value against
the schema; a refused value is shown under its field and not stored.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from jupyter_mlstudio.designer.components import Parameter
from jupyter_mlstudio.errors import MlStudioError
from jupyter_mlstudio.widgets._designer_model import CanvasModel

__all__ = ["field_for", "parse_value", "properties_panel"]

PANEL_WIDTH = "300px"


def parse_value(param: Parameter, raw: Any) -> Any:
    """A field's value as the parameter's type: text fields of optional numbers give
    ``None`` when empty; everything else is already typed by its widget."""
    if isinstance(raw, str) and param.type in ("int", "float"):
        text = raw.strip()
        if not text:
            return None
        try:
            return int(text) if param.type == "int" else float(text)
        except ValueError:
            return raw  # the schema check says what is wrong
    return raw


def field_for(param: Parameter, value: Any) -> w.Widget:
    """An input widget for ``param`` holding ``value``."""
    style = {"description_width": "initial"}
    layout = w.Layout(width="95%")
    if param.choices:
        options = list(param.choices)
        if value not in options:
            options.append(value)
        return w.Dropdown(options=options, value=value, layout=layout, style=style)
    if param.type == "bool":
        return w.Checkbox(value=bool(value), indent=False, layout=layout)
    if param.type in ("int", "float") and not param.optional and value is not None:
        cls: Any
        if param.min is not None and param.max is not None:
            cls = w.BoundedIntText if param.type == "int" else w.BoundedFloatText
            return cls(value=value, min=param.min, max=param.max, layout=layout)
        cls = w.IntText if param.type == "int" else w.FloatText
        return cls(value=value, layout=layout)
    if param.type == "text":
        return w.Textarea(
            value="" if value is None else str(value),
            continuous_update=False,
            layout=w.Layout(width="95%", height="90px"),
        )
    return w.Text(
        value="" if value is None else str(value),
        continuous_update=False,
        placeholder="(empty)" if param.optional else "",
        layout=layout,
    )


def properties_panel(
    model: CanvasModel, on_remove: Callable[[str], None], on_error: Callable[[str], None]
) -> list[w.Widget]:
    """The panel's widgets for what is selected (a hint when nothing is)."""
    sel = model.selected
    if sel is None:
        return [
            w.HTML(
                "<div class='mls-designer-hint' style='color:#757575'>Select a node to edit "
                "its parameters. Drag a node to move it; drag from an output port (bottom) "
                "to an input port (top) to connect them.</div>"
            )
        ]
    edge = next((e for e in model.document.edges if e.get("id") == sel), None)
    remove = w.Button(description="Delete", icon="trash", button_style="danger")
    remove.add_class("mls-designer-delete")
    remove.on_click(lambda _: on_remove(sel))
    if edge is not None:
        s, t = edge["source"], edge["target"]
        text = (
            f"<b>Edge {html.escape(sel)}</b><br>{html.escape(model.title(s['node']))}."
            f"{html.escape(s['port'])} &rarr; {html.escape(model.title(t['node']))}."
            f"{html.escape(t['port'])}"
        )
        return [w.HTML(text), remove]
    node = model.document.node(sel)
    comp = model.component(sel)
    problems = model.node_problems(sel)
    head = w.HTML(
        f"<div class='mls-designer-node-head'><b>{html.escape(model.title(sel))}</b> "
        f"<span style='color:#757575'>({html.escape(sel)})</span><br>"
        + (
            f"<span style='color:#757575;font-size:11px'>{html.escape(comp.category)} &middot; "
            f"{html.escape(comp.description)}</span>"
            if comp
            else f"<span style='color:#e53935'>{html.escape(node['component']['ref'])} cannot "
            "be found</span>"
        )
        + "</div>"
    )
    name = w.Text(
        value=str(node.get("name") or ""),
        placeholder=comp.name if comp else "",
        description="Name",
        continuous_update=False,
        layout=w.Layout(width="95%"),
    )
    name.observe(lambda ch: model.rename(sel, ch["new"]), names="value")
    items: list[w.Widget] = [head, name]
    general = [p for p in problems if not p.parameter]
    if general:
        items.append(
            w.HTML(
                "<ul class='mls-designer-problems' style='color:#e53935;margin:2px 0;"
                "padding-left:16px;font-size:12px'>"
                + "".join(f"<li>{html.escape(str(p.message))}</li>" for p in general)
                + "</ul>"
            )
        )
    values = node.get("parameters") or {}
    for param in comp.parameters if comp else ():
        items.append(_parameter_row(model, sel, param, values, problems, on_error))
    items.append(remove)
    return items


def _parameter_row(
    model: CanvasModel,
    nid: str,
    param: Parameter,
    values: dict[str, Any],
    problems: list[Any],
    on_error: Callable[[str], None],
) -> w.Widget:
    value = values.get(param.name, param.default)
    tip = html.escape(param.description or param.type)
    extra = []
    if param.min is not None or param.max is not None:
        extra.append(
            f"{'' if param.min is None else param.min}..{'' if param.max is None else param.max}"
        )
    label = w.HTML(
        f"<span title='{tip}'>{html.escape(param.name)}</span> "
        f"<span style='color:#9e9e9e;font-size:11px'>{html.escape(param.type)}"
        f"{' ' + html.escape(extra[0]) if extra else ''}</span>"
    )
    message = w.HTML(
        "".join(
            f"<div style='color:#e53935;font-size:11px'>{html.escape(p.message)}</div>"
            for p in problems
            if p.parameter == param.name
        )
    )
    message.add_class("mls-designer-param-problem")
    if isinstance(value, dict):
        bound = w.HTML(
            f"<i>bound to the pipeline parameter {html.escape(str(value.get('pipelineParameter')))}"
            "</i>"
        )
        return w.VBox([label, bound, message])
    field = field_for(param, value)
    field.add_class(f"mls-designer-param-{param.name}")

    def changed(change: dict[str, Any]) -> None:
        try:
            model.set_parameter(nid, param.name, parse_value(param, change["new"]))
        except MlStudioError as exc:
            message.value = (
                f"<div style='color:#e53935;font-size:11px'>{html.escape(exc.message)}</div>"
            )
            on_error(exc.message)

    field.observe(changed, names="value")
    return w.VBox([label, field, message], layout=w.Layout(margin="2px 0"))
