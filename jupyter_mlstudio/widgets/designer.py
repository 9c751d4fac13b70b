"""``Designer``: a ``.mlpipeline`` document on an ipycanvas widget, in any notebook.

::

    from jupyter_mlstudio.widgets import Designer
    d = Designer("training.mlpipeline")
    d                       # nodes and edges; drag nodes, drag output ports onto input ports
    d.set_parameter("n3", "fraction", 0.8)
    d.save()
    run = d.submit("designer-demo")   # nodes colour by step status until the run ends

It edits the same document the labextension's canvas edits, validated by the same rules and
submitted the same way (the run opens in the studio's designer too), and needs only
ipywidgets and ipycanvas in the browser, not the labextension. Every mouse action has a
method (``add_node``, ``connect``, ``move``, ``set_parameter``...), so scripts and tests can
drive it. Where widgets cannot render, it shows an SVG picture and a text summary of the graph.
"""

from __future__ import annotations

import html
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from jupyter_mlstudio.designer.document import SUFFIX, PipelineDocument
from jupyter_mlstudio.designer.library import ComponentLibrary, builtin_components
from jupyter_mlstudio.errors import MlStudioError, ValidationError
from jupyter_mlstudio.widgets._designer_draw import draw_graph, draw_overlay
from jupyter_mlstudio.widgets._designer_form import PANEL_WIDTH, properties_panel
from jupyter_mlstudio.widgets._designer_model import CanvasModel
from jupyter_mlstudio.widgets._designer_svg import graph_svg
from jupyter_mlstudio.widgets._html import STATUS_COLORS, status_badge, table

if TYPE_CHECKING:
    from jupyter_mlstudio.core.run import Run
    from jupyter_mlstudio.core.workspace import Workspace
    from jupyter_mlstudio.designer.validation import Problem
    from jupyter_mlstudio.studio.designer import DesignerService
    from jupyter_mlstudio.widgets._poller import Poller

__all__ = ["Designer"]

TERMINAL = frozenset({"Completed", "Failed", "Canceled"})
STATUS_CHECK_SECONDS = 3.0  # a quiet run's nodes are read this often (a dead step is noticed)
CANVAS_MAX_HEIGHT = "620px"


class Designer:
    """A designer pipeline on a canvas in the notebook: ``Designer("x.mlpipeline")``.

    Nodes are boxes (title, category colour, typed input ports on top and output ports
    below), edges are curves. Drag a node to move it; drag from an output port to an input
    port to connect them (a port of another type is refused, with the reason); click a node
    to edit its parameters in the side panel. The toolbar adds components, lays the graph
    out, validates, saves the ``.mlpipeline`` file, and submits it as a pipeline run whose
    step statuses colour the nodes live until it ends.

    Parameters
    ----------
    path_or_document : str, os.PathLike or PipelineDocument
        A ``.mlpipeline`` file (a new, empty pipeline when the file does not exist yet; it is
        written by :meth:`save`) or a document object, edited in place.
    workspace : Workspace, optional
        Where :meth:`submit` runs the pipeline; by default the workspace whose config is
        found from the document's folder (or the job's own when run inside one).
    poller : Poller, optional
        The thread that follows a submitted run; the process's shared one by default.
    library : ComponentLibrary, optional
        Where node components are found; the document folder's by default.

    Examples
    --------
    >>> d = Designer("demo.mlpipeline")            # doctest: +SKIP
    >>> a = d.add_node("builtin:enter_data_manually")  # doctest: +SKIP
    >>> b = d.add_node("builtin:remove_duplicate_rows")  # doctest: +SKIP
    >>> d.connect(a, "results_dataset", b, "input_dataset")  # doctest: +SKIP
    >>> d.save()  # doctest: +SKIP
    """

    def __init__(
        self,
        path_or_document: str | os.PathLike[str] | PipelineDocument,
        workspace: Workspace | None = None,
        *,
        poller: Poller | None = None,
        library: ComponentLibrary | None = None,
    ) -> None:
        self.document = _open(path_or_document)
        self.workspace = workspace
        self._poller = poller
        self.model = CanvasModel(self.document, library)
        self.run: Run | None = None
        #: Node id -> the run id of its step in the last submitted run (once started).
        self.step_runs: dict[str, str] = {}
        self._panel_step: tuple[str, str, str] | None = None
        self.run_status: str | None = None
        self._watch: _RunWatch | None = None
        self._lock = threading.RLock()  # the poller thread and the kernel both draw
        self._closed = False
        self._build()
        self.model.on_change = self._changed
        self._resize()
        self._show_panel()
        self._show_title()

    # ---- widgets ---------------------------------------------------------------------------
    def _build(self) -> None:
        from ipycanvas import MultiCanvas

        width, height = self.model.size()
        self.canvas = MultiCanvas(2, width=width, height=height)
        self.canvas.add_class("mls-designer-canvas")
        self.canvas.on_mouse_down(self.handle_mouse_down)
        self.canvas.on_mouse_move(self.handle_mouse_move)
        self.canvas.on_mouse_up(self.handle_mouse_up)
        self.canvas.on_mouse_out(self.handle_mouse_up)
        self.canvas.on_client_ready(self.redraw)
        self.title = w.HTML()
        self.title.add_class("mls-designer-title")
        options = [(f"{c.category} / {c.name}", c.ref) for c in builtin_components()]
        self.palette = w.Dropdown(options=options, layout=w.Layout(width="280px"))
        self.palette.add_class("mls-designer-palette")
        add = _button("Add", "plus", "Add the chosen component below the graph", "add")
        add.on_click(lambda _: self._act(lambda: self.add_node(str(self.palette.value))))
        layout = _button("Layout", "sitemap", "Arrange the nodes in rows by depth", "layout")
        layout.on_click(lambda _: self._act(self.auto_layout))
        check = _button("Validate", "check", "List every problem of the pipeline", "validate")
        check.on_click(lambda _: self._act(self._validate_clicked))
        save = _button("Save", "save", "Write the .mlpipeline file", "save")
        save.on_click(lambda _: self._act(self._save_clicked))
        self.experiment = w.Text(
            value=_experiment_name(self.document),
            description="Experiment",
            layout=w.Layout(width="260px"),
            style={"description_width": "initial"},
        )
        self.experiment.add_class("mls-designer-experiment")
        submit = _button("Submit", "play", "Run the pipeline in the experiment", "submit")
        submit.button_style = "primary"
        submit.on_click(lambda _: self._act(lambda: self.submit(self.experiment.value)))
        self.message = w.HTML()
        self.message.add_class("mls-designer-message")
        self.hover = w.HTML()
        self.hover.add_class("mls-designer-hover")
        self.run_box = w.HTML()
        self.run_box.add_class("mls-designer-run")
        self.step_box = w.VBox()
        self.step_box.add_class("mls-designer-step")
        self.panel = w.VBox(layout=w.Layout(width=PANEL_WIDTH, min_width=PANEL_WIDTH))
        self.panel.add_class("mls-designer-panel")
        area = w.Box(
            [self.canvas],
            layout=w.Layout(
                overflow="auto",
                flex="1 1 auto",
                max_height=CANVAS_MAX_HEIGHT,
                border="1px solid #e0e0e0",
            ),
        )
        toolbar = w.HBox(
            [self.palette, add, layout, check, save, self.experiment, submit],
            layout=w.Layout(flex_flow="row wrap", align_items="center"),
        )
        toolbar.add_class("mls-designer-toolbar")
        # ipywidgets' HTML has the line height of a one-line control; the panel's texts wrap.
        style = w.HTML(
            "<style>.mls-designer-panel .widget-html-content,"
            ".mls-designer-message .widget-html-content{line-height:1.4}</style>"
        )
        self.widget = w.VBox(
            [
                style,
                self.title,
                toolbar,
                self.message,
                w.HBox([area, self.panel]),
                self.hover,
                self.run_box,
                self.step_box,
            ]
        )
        self.widget.add_class("mls-designer")

    def _act(self, action: Any) -> None:
        """Run a toolbar action; a user error becomes a message, not a traceback."""
        try:
            action()
        except MlStudioError as exc:
            self._say(exc.message + (f" {exc.hint}" if exc.hint else ""), error=True)

    def _say(self, text: str, error: bool = False) -> None:
        color = "#e53935" if error else "#2e7d32"
        kind = "error" if error else "info"
        self.message.value = (
            f"<div class='mls-designer-{kind}' style='color:{color}'>{html.escape(text)}</div>"
            if text
            else ""
        )

    def _show_title(self) -> None:
        doc = self.document
        where = doc.path.name if doc.path else "(not saved yet)"
        mark = " &#9679;" if self.model.dirty else ""
        errors = sum(1 for p in self.model.problems if p.severity == "error")
        state = (
            f"<span class='mls-designer-errors' style='color:#e53935'>{errors} problem(s)</span>"
            if errors
            else "<span class='mls-designer-valid' style='color:#43a047'>valid</span>"
        )
        self.title.value = (
            f"<b>{html.escape(doc.name)}</b> <span style='color:#757575'>"
            f"{html.escape(where)}{mark}</span> &middot; {len(doc.nodes)} nodes, "
            f"{len(doc.edges)} edges &middot; {state}"
        )

    def _show_panel(self) -> None:
        old = self.panel.children
        items = properties_panel(self.model, self.remove, lambda text: self._say(text, error=True))
        self._panel_step = self._selected_step()
        if self._panel_step is not None:
            items.insert(1, self._step_section(*self._panel_step))
        self.panel.children = items
        for child in old:
            _close_tree(child)

    def _selected_step(self) -> tuple[str, str, str] | None:
        """(node, step run id, status) of the selected node in the last run, once started."""
        sel = self.model.selected
        run_id = self.step_runs.get(sel or "")
        if sel is None or run_id is None:
            return None
        return sel, run_id, self.model.status.get(sel, "")

    def _step_section(self, node_id: str, run_id: str, status: str) -> w.Widget:
        info = w.HTML(
            f"<div>Step run <code>{html.escape(run_id)}</code> {status_badge(status)}</div>"
        )
        button = _button("Step details", "list", "Show the step's run: log, metrics", "step")
        button.on_click(lambda _: self._act(lambda: self.show_step(node_id)))
        return w.VBox([info, button])

    def show_step(self, node_id: str) -> Any:
        """Show the run of node ``node_id``'s step (its log, metrics and files, live) under
        the canvas; returns its ``RunDetails``."""
        from jupyter_mlstudio.core.run import Run
        from jupyter_mlstudio.widgets.run_details import RunDetails

        run_id = self.step_runs.get(node_id)
        if run_id is None:
            raise ValidationError(
                f"Node {node_id!r} has no step run (yet).",
                hint="Submit the pipeline, and wait for the node's step to start.",
                node=node_id,
            )
        details = RunDetails(Run.get(self._workspace(), run_id), poller=self._poller)
        for child in self.step_box.children:
            _close_tree(child)
        title = w.HTML(f"<b>Step {html.escape(self.model.title(node_id))}</b>")
        self.step_box.children = [title, details.widget]
        return details

    def _changed(self, what: str) -> None:
        """The model changed: draw what it affects."""
        if what in ("move", "status"):
            self.redraw(overlay=False)
            if what == "status":
                self._show_run()
                if self._selected_step() != self._panel_step:
                    self._show_panel()  # the selected node's step started or changed status
            return
        if what in ("add", "remove", "connect", "parameter") and self.run_status in TERMINAL:
            self.model.status = {}  # the graph no longer is the one that ran
        if what in ("moved", "layout", "add", "remove"):
            self._resize()
        else:
            self.redraw()
        if what not in ("moved", "layout"):
            self._show_panel()  # the selection, its problems or its fields changed
        self._show_title()

    def _resize(self) -> None:
        width, height = self.model.size()
        with self._lock:
            if (self.canvas.width, self.canvas.height) != (width, height):
                # A resized canvas is blank in the browser: drawn again below.
                self.canvas.width, self.canvas.height = width, height
            self.canvas.layout.width = f"{width}px"
            self.canvas.layout.height = f"{height}px"
        self.redraw()

    def redraw(self, *args: Any, overlay: bool = True) -> None:
        """Draw the graph again (also when a new browser view of the widget appears)."""
        from ipycanvas import hold_canvas

        with self._lock, hold_canvas():
            draw_graph(self.canvas[0], self.model)
            if overlay or args:
                draw_overlay(self.canvas[1], self.model)

    # ---- mouse -----------------------------------------------------------------------------
    def handle_mouse_down(self, x: float, y: float) -> None:
        """A press on the canvas: starts moving a node or dragging an edge from an output
        port; selects what is under it."""
        self.model.press(x, y)
        if self.model.gesture is None or self.model.gesture.kind == "move":
            self._say("")

    def handle_mouse_move(self, x: float, y: float) -> None:
        """The mouse moved: moves the dragged node or the edge being drawn."""
        from ipycanvas import hold_canvas

        gesture = self.model.gesture
        if gesture is None:
            port = self.model.port_at(x, y)
            text = (
                f"{port.kind} <b>{html.escape(port.port)}</b>: {html.escape(port.type)}"
                if port
                else ""
            )
            if text != self.hover.value:
                self.hover.value = text
            return
        if self.model.drag(x, y) and gesture.kind == "connect":
            with self._lock, hold_canvas():
                draw_overlay(self.canvas[1], self.model)

    def handle_mouse_up(self, x: float, y: float) -> None:
        """The mouse was released: ends a move, or makes the edge onto the input port under
        it (an incompatible one is refused with the reason)."""
        if self.model.gesture is None:
            return
        refused = self.model.release(x, y)
        from ipycanvas import hold_canvas

        with self._lock, hold_canvas():
            draw_overlay(self.canvas[1], self.model)
        if refused:
            self._say(refused, error=True)

    # ---- editing API -----------------------------------------------------------------------
    @property
    def problems(self) -> list[Problem]:
        """The document's current validation problems."""
        return list(self.model.problems)

    @property
    def status(self) -> dict[str, str]:
        """Step status per node id of the last submitted run (empty before a submit)."""
        return dict(self.model.status)

    @property
    def selected(self) -> str | None:
        """The id of the selected node or edge."""
        return self.model.selected

    def add_node(
        self,
        ref: str,
        *,
        parameters: dict[str, Any] | None = None,
        position: tuple[float, float] | None = None,
        name: str | None = None,
    ) -> str:
        """Add a component node and select it; returns its id.

        Parameters
        ----------
        ref : str
            ``builtin:<id>`` (the palette's components) or ``file:<notebook or script>``.
        parameters : dict, optional
            Parameter values (checked against the component's schema).
        position : tuple of float, optional
            Document position of its top-left corner (below the graph by default).
        name : str, optional
            The name it shows (and its step's name); its component's by default.
        """
        nid = self.model.add_node(ref, parameters=parameters, position=position, name=name)
        self._say(f"Added {self.model.title(nid)} as {nid}.")
        return nid

    def remove(self, item_id: str) -> None:
        """Remove a node (and its edges) or an edge."""
        self.model.remove(item_id)

    def connect(self, source: str, source_port: str, target: str, target_port: str) -> str:
        """Connect an output port of ``source`` to an input port of ``target``; returns the
        edge id. Raises ValidationError when the port types do not match, the input is
        already connected or the edge would make a cycle."""
        return self.model.connect(source, source_port, target, target_port)

    def move(self, node_id: str, x: float, y: float) -> None:
        """Put node ``node_id``'s top-left corner at document position ``(x, y)``."""
        self.model.move(node_id, x, y)
        self._changed("moved")

    def select(self, item_id: str | None) -> None:
        """Select a node or an edge (its properties show in the side panel)."""
        if item_id is not None:
            ids = {n["id"] for n in self.document.nodes} | {e["id"] for e in self.document.edges}
            if item_id not in ids:
                raise ValidationError(
                    f"The pipeline has no node or edge {item_id!r}.",
                    hint=f"Its nodes are: {', '.join(sorted(map(str, ids))) or 'none'}.",
                )
        self.model.select(item_id)

    def set_parameter(self, node_id: str, name: str, value: Any) -> None:
        """Set a node's parameter; a value its schema refuses raises ValidationError (type,
        range, choices) and is not stored. ``{"pipelineParameter": "p"}`` binds it to the
        pipeline parameter ``p``."""
        self.model.set_parameter(node_id, name, value)

    def auto_layout(self) -> None:
        """Arrange the nodes in rows by depth, as the labextension's auto-layout does."""
        self.model.auto_layout()

    def validate(self) -> list[Problem]:
        """Validate the document; returns every problem (also marked on the nodes)."""
        problems = self.model.revalidate()
        self.redraw()
        self._show_panel()
        self._show_title()
        return problems

    def _validate_clicked(self) -> None:
        problems = self.validate()
        if not problems:
            self._say("The pipeline is valid.")
            return
        self.message.value = (
            "<div class='mls-designer-error' style='color:#e53935'>"
            + "".join(
                f"<div>{html.escape(p.severity)}: {html.escape(str(p))}</div>" for p in problems
            )
            + "</div>"
        )

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the ``.mlpipeline`` file (its own path by default); returns the path."""
        target = self.document.save(path)
        self.model.dirty = False
        self._show_title()
        return target

    def _save_clicked(self) -> None:
        target = self.save()
        self._say(f"Saved {target.name}.")

    # ---- running ---------------------------------------------------------------------------
    def _workspace(self) -> Workspace:
        if self.workspace is None:
            from jupyter_mlstudio.core.workspace import Workspace

            self.workspace = Workspace._from_env() or Workspace.from_config(
                path=self.document.folder
            )
        return self.workspace

    def _service(self) -> DesignerService:
        from jupyter_mlstudio.studio.designer import DesignerService

        return DesignerService(self._workspace(), self.document.folder)

    def submit(self, experiment_name: str, parameters: dict[str, Any] | None = None) -> Run:
        """Run the pipeline (as edited, saved or not) in experiment ``experiment_name``;
        returns the pipeline run. Nodes colour by their step's status until it ends.

        Parameters
        ----------
        experiment_name : str
            The experiment the run belongs to.
        parameters : dict, optional
            Values of the pipeline's parameters for this run.

        Raises
        ------
        PipelineValidationError
            When the document has errors (each is marked on its node).
        """
        from jupyter_mlstudio.core.run import Run
        from jupyter_mlstudio.widgets._poller import shared_poller

        problems = self.validate()
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            from jupyter_mlstudio.pipeline.core.graph import PipelineValidationError

            raise PipelineValidationError(
                f"The pipeline has {len(errors)} problem(s); the first: {errors[0]}",
                hint="Fix the nodes marked in red (Validate lists every problem).",
                diagnostics=errors,
            )
        service = self._service()
        workspace = self._workspace()
        poller = self._poller = self._poller or shared_poller()
        poller.watch(workspace)  # from now: no status change before the first read is missed
        self._say(f"Submitting {self.document.name} to {experiment_name}…")
        path = self.document.path.name if self.document.path is not None else None
        if self._watch is not None:
            poller.unsubscribe(self._watch)
        try:
            out = service.submit(self.document.data, experiment_name, parameters, path=path)
        except Exception:
            poller.forget(workspace)
            raise
        self.run = Run.get(workspace, out["runId"])
        self.run_status = "NotStarted"
        self.step_runs = {}
        self._watch = _RunWatch(self, service, out["runId"], workspace)
        self._watch.refresh()
        self._say(f"Submitted run {out['runId']} in {out['experimentName']}.")
        if self.run_status not in TERMINAL:
            poller.subscribe(self._watch)
        return self.run

    def _show_run(self) -> None:
        if self.run is None:
            self.run_box.value = ""
            return
        status = self.run_status or "NotStarted"
        steps = " ".join(
            f"<span class='mls-designer-node-status' data-node='{html.escape(nid)}' "
            f"data-status='{html.escape(st)}'>{html.escape(self.model.title(nid))}: "
            f"<b style='color:{STATUS_COLORS.get(st, '#757575')}'>{html.escape(st)}</b></span>"
            for nid, st in self.model.status.items()
        )
        self.run_box.value = (
            f"<div>Run <code>{html.escape(self.run.id)}</code> {status_badge(status)} "
            f"&middot; {steps}</div>"
        )

    @property
    def is_live(self) -> bool:
        """Whether a submitted run is still being followed."""
        return (
            self._watch is not None
            and self._poller is not None
            and self._watch in self._poller.subscribers
        )

    # ---- lifecycle and display -------------------------------------------------------------
    def show(self) -> None:
        """Show the designer in the notebook (an SVG picture and a summary where widgets
        cannot render)."""
        from IPython.display import display

        display(self)

    def close(self) -> None:
        """Stop following the run and remove the widget."""
        self._closed = True
        if self._watch is not None and self._poller is not None:
            self._poller.unsubscribe(self._watch)
        _close_tree(self.widget)

    def summary_text(self) -> str:
        """The graph as text: nodes with their ports, edges, problems and step status."""
        doc, model = self.document, self.model
        errors = sum(1 for p in model.problems if p.severity == "error")
        lines = [
            f"Pipeline {doc.name!r} ({doc.path.name if doc.path else 'not saved'}): "
            f"{len(doc.nodes)} nodes, {len(doc.edges)} edges, "
            + (f"{errors} error(s)" if errors else "valid")
        ]
        for node in doc.nodes:
            nid = str(node["id"])
            comp = model.component(nid)
            status = model.status.get(nid)
            lines.append(
                f"  {nid}: {model.title(nid)} [{comp.category if comp else 'unknown'}]"
                + (f" - {status}" if status else "")
            )
            ins = ", ".join(f"{p.port}: {p.type}" for p in model.ports(nid, "input"))
            outs = ", ".join(f"{p.port}: {p.type}" for p in model.ports(nid, "output"))
            if ins:
                lines.append(f"      in  {ins}")
            if outs:
                lines.append(f"      out {outs}")
        if doc.edges:
            lines.append("Edges:")
            lines += [
                f"  {e['source']['node']}.{e['source']['port']} -> "
                f"{e['target']['node']}.{e['target']['port']}"
                for e in doc.edges
            ]
        if model.problems:
            lines.append("Problems:")
            lines += [f"  {p.severity}: {p}" for p in model.problems]
        if self.run is not None:
            lines.append(f"Run {self.run.id}: {self.run_status}")
        return "\n".join(lines)

    def summary_html(self) -> str:
        """The graph as HTML: an SVG picture of the canvas and tables of nodes and problems."""
        doc, model = self.document, self.model
        rows = []
        for node in doc.nodes:
            nid = str(node["id"])
            comp = model.component(nid)
            status = model.status.get(nid)
            rows.append(
                [
                    html.escape(nid),
                    html.escape(model.title(nid)),
                    html.escape(comp.category if comp else "unknown component"),
                    status_badge(status) if status else "",
                ]
            )
        problems = [(p.severity, p.node or "", str(p)) for p in model.problems]
        return (
            f"<div class='mls-designer-summary'><b>{html.escape(doc.name)}</b> "
            f"<span style='color:#757575'>{html.escape(doc.path.name if doc.path else '')}"
            f"</span><br>{graph_svg(model)}"
            + table(
                ["Node", "Name", "Category", "Status"],
                rows,
                raw_columns=range(4),
                empty="No nodes.",
            )
            + (
                "<h4>Problems</h4>" + table(["Severity", "Node", "Problem"], problems)
                if problems
                else ""
            )
            + "</div>"
        )

    def _repr_html_(self) -> str:
        return self.summary_html()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = {"text/plain": self.summary_text(), "text/html": self.summary_html()}
        view = self.widget._repr_mimebundle_(**kwargs) or {}
        bundle.update({k: v for k, v in view.items() if k != "text/plain"})
        return bundle

    def __repr__(self) -> str:
        return (
            f"Designer({self.document.name!r}, nodes={len(self.document.nodes)}, "
            f"edges={len(self.document.edges)})"
        )


class _RunWatch:
    """Follows a submitted run for the poller: reads the nodes' step statuses when the run
    or one of its steps changes (and every few seconds), until the run ends."""

    def __init__(
        self, designer: Designer, service: DesignerService, run_id: str, workspace: Workspace
    ) -> None:
        self.designer = designer
        self.service = service
        self.run_id = run_id
        self._workspace = workspace
        self.step_runs: set[str] = set()
        self._last = 0.0

    @property
    def workspace(self) -> Workspace:
        """The workspace the run is in (the poller reads its change feed)."""
        return self._workspace

    def wants(self, event: dict[str, Any]) -> bool:
        """Whether an event is about the run or one of its steps."""
        rid = event.get("runId")
        return (
            rid == self.run_id or event.get("parentRunId") == self.run_id or rid in self.step_runs
        )

    def refresh(self) -> str:
        """Read the run's and its nodes' status and show them; returns the run's status."""
        found = self.service.nodes(self.run_id)
        self._last = time.time()
        steps = {nid: n["stepRunId"] for nid, n in found["nodes"].items() if n["stepRunId"]}
        self.step_runs = set(steps.values())
        self.designer.step_runs = steps
        self.designer.run_status = str(found["status"])
        self.designer.model.set_status({nid: n["status"] for nid, n in found["nodes"].items()})
        return self.designer.run_status

    def update(self, events: list[dict[str, Any]], now: float) -> bool:
        """A poller tick: refresh on news (or when quiet for a while); False once ended."""
        d = self.designer
        if d._closed or d._watch is not self:
            return False
        due = bool(events) or now - self._last >= STATUS_CHECK_SECONDS
        return not (due and self.refresh() in TERMINAL)


def _open(given: str | os.PathLike[str] | PipelineDocument) -> PipelineDocument:
    if isinstance(given, PipelineDocument):
        return given
    if not isinstance(given, str | os.PathLike):
        raise ValidationError(
            f"Designer needs a .mlpipeline path or a PipelineDocument, not {type(given).__name__}.",
            hint='For example Designer("training.mlpipeline").',
        )
    path = Path(given).expanduser()
    if path.exists():
        return PipelineDocument.load(path)
    if path.suffix != SUFFIX:
        raise ValidationError(
            f"There is no pipeline document at {path}.",
            hint=f"Pass an existing {SUFFIX} file, or a new name ending in {SUFFIX} to start one.",
            path=str(path),
        )
    doc = PipelineDocument.new(path.stem)
    doc.path = path.resolve()
    return doc


def _experiment_name(document: PipelineDocument) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in document.name)
    return cleaned.strip("-_.") or "designer"


def _button(text: str, icon: str, tooltip: str, name: str) -> w.Button:
    button = w.Button(description=text, icon=icon, tooltip=tooltip, layout=w.Layout(width="auto"))
    button.add_class(f"mls-designer-{name}")
    return button


def _close_tree(widget: Any) -> None:
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    widget.close()
