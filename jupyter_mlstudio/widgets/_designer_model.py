"""What the notebook designer shows and how it is edited, without any widget: the document,
the components its nodes use, validation problems per node, step statuses during a run, the
geometry of nodes, ports and edges on the canvas, and the mouse gestures (drag a node, drag
from an output port to an input port, click to select).

Geometry follows the labextension's canvas: nodes are 190 px wide, input ports on the top
edge, output ports on the bottom edge, spread evenly; edges run from an output down to an
input. Document positions are the node's top-left corner; the canvas shows them shifted by
``origin`` so that nodes at negative positions (the labextension's auto-layout centres on 0)
are on screen.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jupyter_mlstudio.designer.components import Component, port_accepts
from jupyter_mlstudio.designer.document import PipelineDocument
from jupyter_mlstudio.designer.library import ComponentLibrary
from jupyter_mlstudio.designer.validation import Problem, validate
from jupyter_mlstudio.errors import MlStudioError, ValidationError

__all__ = [
    "NODE_H",
    "NODE_W",
    "CanvasModel",
    "Gesture",
    "PortRef",
]

NODE_W, NODE_H = 190, 60
PORT_R = 6  # drawn radius of a port
PORT_HIT = 11  # how close a press must be to a port to start a connection
EDGE_HIT = 6  # how close a press must be to an edge to select it
MARGIN = 30  # free space around the graph on the canvas (room for port labels)
MIN_W, MIN_H = 640, 320
COLUMN, ROW = 230, 130  # the labextension's auto-layout spacing
CLICK_SLOP = 3  # a press that moves less than this is a click, not a drag


@dataclass(frozen=True)
class PortRef:
    """A port of a node: ``kind`` is ``"input"`` or ``"output"``."""

    node: str
    port: str
    kind: str
    type: str


@dataclass
class Gesture:
    """The mouse gesture in progress: moving a node or connecting from an output port."""

    kind: str  # "move" or "connect"
    node: str
    start: tuple[float, float]  # where the press was (canvas coordinates)
    grab: tuple[float, float] = (0.0, 0.0)  # press point minus the node's corner
    port: PortRef | None = None
    at: tuple[float, float] = (0.0, 0.0)  # where the mouse is now
    moved: bool = False
    hover: PortRef | None = None  # the input port under the mouse while connecting


@dataclass
class CanvasModel:
    """A document as the notebook canvas edits it.

    Parameters
    ----------
    document : PipelineDocument
        The document edited in place (it is the single source of truth).
    library : ComponentLibrary, optional
        Where node components are found (one for the document's folder by default).
    """

    document: PipelineDocument
    library: ComponentLibrary | None = None
    problems: list[Problem] = field(default_factory=list)
    status: dict[str, str] = field(default_factory=dict)  # node id -> step status (a run's)
    selected: str | None = None  # a node id, or an edge id
    gesture: Gesture | None = None
    origin: tuple[float, float] = (0.0, 0.0)  # canvas position of document point (0, 0)
    dirty: bool = False
    #: Called after every change the canvas must show (set by the widget).
    on_change: Callable[[str], None] | None = None

    def __post_init__(self) -> None:
        if self.library is None:
            self.library = ComponentLibrary(self.document.folder)
        self._components: dict[str, Component | None] = {}
        self._check_shape()
        self._place_unplaced()
        self.fit()
        self.revalidate()

    def _check_shape(self) -> None:
        """Refuse a document whose nodes cannot even be drawn (no id or component)."""
        broken = [
            i
            for i, n in enumerate(self.document.nodes)
            if not isinstance(n, dict)
            or not isinstance(n.get("id"), str)
            or not isinstance(n.get("component"), dict)
            or not isinstance(n["component"].get("ref"), str)
        ]
        if broken:
            raise ValidationError(
                f"Node {broken[0]} of {self.document.name!r} has no id or component reference; "
                "it cannot be drawn.",
                hint="Each node needs an id and a component.ref (see mlpipeline.schema.json).",
            )
        for i, edge in enumerate(self.document.edges):
            ends = [edge.get(k) if isinstance(edge, dict) else None for k in ("source", "target")]
            if not all(
                isinstance(end, dict)
                and isinstance(end.get("node"), str)
                and isinstance(end.get("port"), str)
                for end in ends
            ):
                raise ValidationError(
                    f"Edge {i} of {self.document.name!r} has no source or target node and port.",
                    hint='An edge is {"source": {"node", "port"}, "target": {"node", "port"}}.',
                )

    def _place_unplaced(self) -> None:
        """Nodes without a position (it is optional in the format) get their auto-layout
        one; nodes with one keep it."""
        unplaced = [n for n in self.document.nodes if not _has_position(n)]
        if not unplaced:
            return
        placed = {n["id"]: dict(n["position"]) for n in self.document.nodes if _has_position(n)}
        for node in unplaced:
            node["position"] = {"x": 0.0, "y": 0.0}
        self.auto_layout()
        for node in self.document.nodes:
            if node["id"] in placed:
                node["position"] = placed[node["id"]]

    # ---- components ------------------------------------------------------------------------
    def component(self, node_id: str) -> Component | None:
        """The component of node ``node_id`` (``None`` when it cannot be found: validation
        reports why)."""
        ref = self.document.node(node_id)["component"]["ref"]
        if ref not in self._components:
            try:
                self._components[ref] = self.library.get(ref)  # type: ignore[union-attr]
            except MlStudioError:
                self._components[ref] = None
        return self._components[ref]

    def title(self, node_id: str) -> str:
        """What a node shows as its name: its own, else its component's."""
        node = self.document.node(node_id)
        comp = self.component(node_id)
        return str(node.get("name") or (comp.name if comp else node["component"]["ref"]))

    def ports(self, node_id: str, kind: str) -> list[PortRef]:
        """A node's input or output ports, in drawing order."""
        comp = self.component(node_id)
        if comp is None:
            return []
        items = comp.inputs if kind == "input" else comp.outputs
        return [PortRef(node_id, p.name, kind, p.type) for p in items]

    def node_problems(self, node_id: str) -> list[Problem]:
        """The validation problems attached to a node (or one of its ports and parameters)."""
        return [p for p in self.problems if p.node == node_id]

    # ---- editing ---------------------------------------------------------------------------
    def _changed(self, what: str) -> None:
        self.dirty = True
        self.revalidate()
        if self.on_change is not None:
            self.on_change(what)

    def revalidate(self) -> list[Problem]:
        """Validate the document again (as the labextension does after every edit)."""
        self.problems = validate(self.document, self.library)
        return self.problems

    def free_position(self) -> tuple[float, float]:
        """A spot for a new node: below the lowest node, in the left column."""
        nodes = self.document.nodes
        if not nodes:
            return (0.0, 0.0)
        left = min(float(n["position"]["x"]) for n in nodes)
        bottom = max(float(n["position"]["y"]) for n in nodes)
        return (left, bottom + ROW)

    def add_node(
        self,
        ref: str,
        *,
        parameters: dict[str, Any] | None = None,
        position: tuple[float, float] | None = None,
        name: str | None = None,
    ) -> str:
        """Add a node of component ``ref`` (``builtin:<id>`` or ``file:<notebook>``)."""
        comp = self.library.get(ref)  # type: ignore[union-attr]
        for key, value in (parameters or {}).items():
            self._check_parameter(comp, key, value)
        nid = self.document.add_node(
            ref,
            version=comp.version,
            parameters=parameters,
            position=position if position is not None else self.free_position(),
            name=name,
        )
        self.selected = nid
        self._changed("add")
        return nid

    def remove(self, item_id: str) -> None:
        """Remove a node (with its edges) or an edge."""
        if any(e.get("id") == item_id for e in self.document.edges):
            self.document.data["edges"] = [e for e in self.document.edges if e.get("id") != item_id]
        else:
            self.document.remove_node(item_id)
            self.status.pop(item_id, None)
        if self.selected == item_id:
            self.selected = None
        self._changed("remove")

    def connection_problem(self, source: PortRef, target: PortRef) -> str | None:
        """Why an edge from ``source`` (an output) to ``target`` (an input) is refused, or
        ``None`` when it is allowed; the same rules as the labextension's canvas, plus no
        cycles."""
        if source.kind != "output" or target.kind != "input":
            return "An edge goes from an output port (bottom) to an input port (top)."
        if source.node == target.node:
            return "A node cannot feed itself."
        if not port_accepts(target.type, source.type):
            return (
                f"Input {target.port!r} of {self.title(target.node)!r} takes {target.type}; "
                f"output {source.port!r} of {self.title(source.node)!r} gives {source.type}."
            )
        for e in self.document.edges:
            if e["target"]["node"] == target.node and e["target"]["port"] == target.port:
                return (
                    f"Input {target.port!r} of {self.title(target.node)!r} is already connected "
                    "(an input takes one connection); delete that edge first."
                )
        if target.node in self.upstream(source.node) or target.node == source.node:
            return "That edge would make a cycle."
        return None

    def upstream(self, node_id: str) -> set[str]:
        """Every node ``node_id`` depends on, directly or not."""
        feeds: dict[str, set[str]] = {}
        for e in self.document.edges:
            feeds.setdefault(e["target"]["node"], set()).add(e["source"]["node"])
        found: set[str] = set()
        todo = [node_id]
        while todo:
            for src in feeds.get(todo.pop(), ()):
                if src not in found:
                    found.add(src)
                    todo.append(src)
        return found

    def port(self, node_id: str, name: str, kind: str) -> PortRef:
        """The port ``name`` of a node; a clear error naming the ports it has otherwise."""
        ports = self.ports(node_id, kind)
        found = next((p for p in ports if p.port == name), None)
        if found is None:
            raise ValidationError(
                f"{self.title(node_id)!r} ({node_id}) has no {kind} port {name!r}.",
                hint=f"Its {kind}s are: {', '.join(p.port for p in ports) or 'none'}.",
                node=node_id,
            )
        return found

    def connect(self, source: str, source_port: str, target: str, target_port: str) -> str:
        """Add an edge from an output port to an input port; refused (ValidationError) when
        the types do not match, the input is taken or it would make a cycle."""
        src = self.port(source, source_port, "output")
        dst = self.port(target, target_port, "input")
        why = self.connection_problem(src, dst)
        if why is not None:
            raise ValidationError(
                why, hint="Connect an output to a free input of the same type.", node=target
            )
        eid = self.document.connect(source, source_port, target, target_port)
        self._changed("connect")
        return eid

    def move(self, node_id: str, x: float, y: float) -> None:
        """Put a node's top-left corner at document position ``(x, y)``."""
        node = self.document.node(node_id)
        node["position"] = {"x": round(float(x), 1), "y": round(float(y), 1)}
        self.dirty = True
        if self.on_change is not None:
            self.on_change("move")

    def _check_parameter(self, comp: Component, name: str, value: Any) -> None:
        param = comp.parameter(name)
        if param is None:
            raise ValidationError(
                f"{comp.name!r} has no parameter {name!r}.",
                hint=f"Its parameters are: {', '.join(p.name for p in comp.parameters) or 'none'}.",
                parameter=name,
            )
        if isinstance(value, dict) and set(value) == {"pipelineParameter"}:
            return  # a binding: validation checks the pipeline parameter exists
        why = param.check(value)
        if why is not None:
            raise ValidationError(
                f"Parameter {name!r} of {comp.name!r}: {why}",
                hint=param.description or "See the component's parameter list.",
                parameter=name,
            )

    def set_parameter(self, node_id: str, name: str, value: Any) -> None:
        """Set a node's parameter; a value its schema refuses raises ValidationError and is
        not stored."""
        comp = self.component(node_id)
        if comp is None:
            raise ValidationError(
                f"Node {node_id!r} has a component that cannot be found; its parameters "
                "cannot be checked.",
                hint="Fix the node's component reference first.",
                node=node_id,
            )
        self._check_parameter(comp, name, value)
        self.document.set_parameter(node_id, name, value)
        self._changed("parameter")

    def rename(self, node_id: str, name: str) -> None:
        """Set the name a node shows (its step's name); an empty name shows the component's."""
        node = self.document.node(node_id)
        if name.strip():
            node["name"] = name.strip()
        else:
            node.pop("name", None)
        self._changed("rename")

    def auto_layout(self) -> None:
        """Place nodes in rows by depth (each below every node feeding it), as the
        labextension's auto-layout does."""
        feeds: dict[str, list[str]] = {}
        for e in self.document.edges:
            feeds.setdefault(e["target"]["node"], []).append(e["source"]["node"])
        depth: dict[str, int] = {}

        def depth_of(nid: str, seen: frozenset[str] = frozenset()) -> int:
            if nid in depth:
                return depth[nid]
            if nid in seen:
                return 0  # a cycle: validation reports it
            d = 1 + max((depth_of(s, seen | {nid}) for s in feeds.get(nid, ())), default=-1)
            depth[nid] = d
            return d

        rows: dict[int, list[dict[str, Any]]] = {}
        for node in self.document.nodes:
            rows.setdefault(depth_of(node["id"]), []).append(node)
        for d, nodes in rows.items():
            nodes.sort(key=lambda n: float(n["position"]["x"]))
            for i, node in enumerate(nodes):
                node["position"] = {"x": (i - (len(nodes) - 1) / 2) * COLUMN, "y": d * ROW}
        self.fit()
        self.dirty = True
        if self.on_change is not None:
            self.on_change("layout")

    # ---- geometry --------------------------------------------------------------------------
    def fit(self) -> None:
        """Choose ``origin`` so every node is on the canvas, with a margin."""
        nodes = self.document.nodes
        if not nodes:
            self.origin = (MARGIN, MARGIN)
            return
        left = min(float(n["position"]["x"]) for n in nodes)
        top = min(float(n["position"]["y"]) for n in nodes)
        self.origin = (MARGIN - left, MARGIN - top)

    def size(self) -> tuple[int, int]:
        """The canvas size that shows every node."""
        right, bottom = MIN_W, MIN_H
        for node in self.document.nodes:
            x, y = self.node_xy(node["id"])
            right = max(right, int(x + NODE_W + MARGIN))
            bottom = max(bottom, int(y + NODE_H + MARGIN))
        return right, bottom

    def node_xy(self, node_id: str) -> tuple[float, float]:
        """A node's top-left corner on the canvas."""
        pos = self.document.node(node_id)["position"]
        return float(pos["x"]) + self.origin[0], float(pos["y"]) + self.origin[1]

    def port_xy(self, ref: PortRef) -> tuple[float, float]:
        """Where a port is drawn on the canvas (top edge for inputs, bottom for outputs)."""
        x, y = self.node_xy(ref.node)
        ports = self.ports(ref.node, ref.kind)
        index = next(i for i, p in enumerate(ports) if p.port == ref.port)
        px = x + NODE_W * (index + 1) / (len(ports) + 1)
        return px, (y if ref.kind == "input" else y + NODE_H)

    def node_at(self, x: float, y: float) -> str | None:
        """The topmost node under canvas point ``(x, y)``."""
        for node in reversed(self.document.nodes):  # drawn last is on top
            nx, ny = self.node_xy(node["id"])
            if nx <= x <= nx + NODE_W and ny <= y <= ny + NODE_H:
                return str(node["id"])
        return None

    def port_at(self, x: float, y: float, kind: str | None = None) -> PortRef | None:
        """The port nearest to ``(x, y)`` within reach of a press."""
        best: tuple[float, PortRef] | None = None
        for node in self.document.nodes:
            for k in (kind,) if kind else ("input", "output"):
                for ref in self.ports(node["id"], k):
                    px, py = self.port_xy(ref)
                    d = math.hypot(px - x, py - y)
                    if d <= PORT_HIT and (best is None or d < best[0]):
                        best = (d, ref)
        return best[1] if best else None

    def edge_points(self, edge: dict[str, Any]) -> list[tuple[float, float]] | None:
        """The four Bézier points of an edge on the canvas (``None`` for a broken edge)."""
        try:
            src = self.port(edge["source"]["node"], edge["source"]["port"], "output")
            dst = self.port(edge["target"]["node"], edge["target"]["port"], "input")
        except (MlStudioError, KeyError, TypeError):
            return None  # validation reports what is wrong with it
        return curve(self.port_xy(src), self.port_xy(dst))

    def edge_at(self, x: float, y: float) -> str | None:
        """The edge passing within reach of ``(x, y)``."""
        for edge in self.document.edges:
            points = self.edge_points(edge)
            if points is None:
                continue
            for t in range(41):
                bx, by = bezier(points, t / 40)
                if math.hypot(bx - x, by - y) <= EDGE_HIT:
                    return str(edge.get("id"))
        return None

    # ---- mouse gestures --------------------------------------------------------------------
    def press(self, x: float, y: float) -> None:
        """Mouse down: on an output port starts a connection, on a node starts moving it and
        selects it, on an edge selects it, elsewhere clears the selection."""
        port = self.port_at(x, y, "output")
        if port is not None:
            self.gesture = Gesture("connect", port.node, (x, y), port=port, at=(x, y))
            return
        nid = self.node_at(x, y)
        if nid is not None:
            nx, ny = self.node_xy(nid)
            self.gesture = Gesture("move", nid, (x, y), grab=(x - nx, y - ny), at=(x, y))
            self.select(nid)
            return
        self.gesture = None
        self.select(self.edge_at(x, y))

    def drag(self, x: float, y: float) -> bool:
        """Mouse move; returns whether the canvas needs drawing again."""
        g = self.gesture
        if g is None:
            return False
        g.at = (x, y)
        if not g.moved and math.hypot(x - g.start[0], y - g.start[1]) < CLICK_SLOP:
            return False
        g.moved = True
        if g.kind == "move":
            # Canvas coordinates never go left of or above the canvas' edge.
            cx, cy = max(0.0, x - g.grab[0]), max(0.0, y - g.grab[1])
            self.move(g.node, cx - self.origin[0], cy - self.origin[1])
        else:
            g.hover = self.port_at(x, y, "input")
        return True

    def release(self, x: float, y: float) -> str | None:
        """Mouse up: ends a move (the canvas is refitted) or makes the edge to the input
        port under the mouse. Returns a message for the user when a connection is refused."""
        g, self.gesture = self.gesture, None
        if g is None:
            return None
        if g.kind == "move":
            if g.moved:
                self._changed("moved")
            return None
        target = self.port_at(x, y, "input")
        if target is None or g.port is None:
            return None  # dropped elsewhere: nothing to connect
        why = self.connection_problem(g.port, target)
        if why is not None:
            return why
        self.document.connect(g.port.node, g.port.port, target.node, target.port)
        self._changed("connect")
        return None

    def select(self, item_id: str | None) -> None:
        """Select a node or an edge (``None`` clears the selection)."""
        if item_id == self.selected:
            return
        self.selected = item_id
        if self.on_change is not None:
            self.on_change("select")

    # ---- run status ------------------------------------------------------------------------
    def set_status(self, status: dict[str, str]) -> None:
        """Step status per node id (from a run), shown on the nodes."""
        self.status = dict(status)
        if self.on_change is not None:
            self.on_change("status")


def _has_position(node: dict[str, Any]) -> bool:
    pos = node.get("position")
    return isinstance(pos, dict) and all(isinstance(pos.get(k), int | float) for k in "xy")


def curve(start: tuple[float, float], end: tuple[float, float]) -> list[tuple[float, float]]:
    """The Bézier points of an edge from an output (going down) to an input (coming from
    above)."""
    (x0, y0), (x1, y1) = start, end
    bend = max(40.0, abs(y1 - y0) / 2)
    return [(x0, y0), (x0, y0 + bend), (x1, y1 - bend), (x1, y1)]


def bezier(points: list[tuple[float, float]], t: float) -> tuple[float, float]:
    """The point at ``t`` (0..1) on a cubic Bézier curve."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
    u = 1 - t
    a, b, c, d = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
    return a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3
