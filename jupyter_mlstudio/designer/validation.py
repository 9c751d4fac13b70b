"""Validation of a designer document, shared by the SDK and the canvas.

:func:`validate` never changes the document: it returns :class:`Problem` records, each
attached to the node, port, parameter or edge it concerns, so the canvas can mark it.
``problem.to_dict()`` is plain JSON for the REST layer.
"""

from __future__ import annotations

import graphlib
from collections import defaultdict
from dataclasses import asdict, dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.designer.components import Component, port_accepts
from jupyter_mlstudio.designer.library import ComponentLibrary
from jupyter_mlstudio.errors import MlStudioError

if TYPE_CHECKING:
    from jupyter_mlstudio.designer.document import PipelineDocument

__all__ = ["Problem", "validate"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong (``severity="error"``) or doubtful (``"warning"``) in a document.

    ``code`` is stable for programs (``required_input``, ``port_type``, ``cycle``...);
    ``message`` is for people.
    """

    severity: str
    code: str
    message: str
    node: str | None = None
    port: str | None = None
    parameter: str | None = None
    edge: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The problem as plain JSON."""
        return asdict(self)

    def __str__(self) -> str:
        where = []
        if self.node:
            where.append(f"node {self.node!r}")
        if self.port:
            where.append(f"port {self.port!r}")
        if self.parameter:
            where.append(f"parameter {self.parameter!r}")
        return (", ".join(where) + ": " if where else "") + self.message


@cache
def _fast_check() -> Any:
    # fastjsonschema compiles the schema to Python: a valid 200-node document is checked in
    # about a millisecond, where jsonschema takes a hundred or more.
    import fastjsonschema

    from jupyter_mlstudio.designer.document import schema

    return fastjsonschema.compile(schema())


@cache
def _full_validator() -> Any:
    import jsonschema

    from jupyter_mlstudio.designer.document import schema

    return jsonschema.Draft7Validator(schema())


def _shape_problems(data: Any) -> list[Problem]:
    import fastjsonschema

    try:
        _fast_check()(data)
        return []
    except fastjsonschema.JsonSchemaValueException:
        pass  # something is wrong: jsonschema lists every problem, with its path
    found = []
    for error in _full_validator().iter_errors(data):
        path = "/".join(str(p) for p in error.absolute_path)
        node = None
        if len(error.absolute_path) >= 2 and error.absolute_path[0] == "nodes":
            item = data["nodes"][error.absolute_path[1]]
            node = item.get("id") if isinstance(item, dict) else None
        found.append(
            Problem("error", "schema", f"{path or 'document'}: {error.message}", node=node)
        )
    return found


def validate(document: PipelineDocument, library: ComponentLibrary | None = None) -> list[Problem]:
    """Every problem of ``document``: its shape against the schema, unknown components,
    unknown ports and port type mismatches, inputs connected twice, unconnected required
    inputs, cycles, unknown, missing, mistyped or out-of-range parameters, and pipeline
    parameters that are missing or of another type than the parameter they feed."""
    data = document.data
    problems = _shape_problems(data)
    if problems:
        return problems  # the rest assumes the shape is right
    library = library or ComponentLibrary(document.folder)
    nodes: dict[str, dict[str, Any]] = {}
    for node in data["nodes"]:
        if node["id"] in nodes:
            problems.append(
                Problem("error", "duplicate_id", "two nodes have this id.", node=node["id"])
            )
        nodes[node["id"]] = node
    if not nodes:
        problems.append(Problem("error", "empty", "the pipeline has no nodes."))
    components: dict[str, Component] = {}
    for nid, node in nodes.items():
        ref = node["component"]["ref"]
        try:
            comp = library.get(ref)
        except MlStudioError as exc:
            text = f"{exc.message} {exc.hint}" if exc.hint else exc.message
            problems.append(Problem("error", "unknown_component", text, node=nid))
            continue
        components[nid] = comp
        wanted = node["component"].get("version")
        if wanted and wanted != comp.version:
            problems.append(
                Problem(
                    "warning",
                    "component_version",
                    f"the node was made with version {wanted} of {comp.name!r}; "
                    f"version {comp.version} is installed.",
                    node=nid,
                )
            )
    declared = {p["name"]: p for p in data.get("parameters", [])}
    for nid, comp in components.items():
        problems.extend(_parameter_problems(nid, nodes[nid], comp, declared))
    connected: dict[tuple[str, str], str] = {}
    deps: dict[str, set[str]] = defaultdict(set)
    for i, edge in enumerate(data["edges"]):
        eid = edge.get("id") or f"#{i}"
        src, dst = edge["source"], edge["target"]
        ok = True
        for end, role in ((src, "source"), (dst, "target")):
            if end["node"] not in nodes:
                problems.append(
                    Problem(
                        "error",
                        "unknown_node",
                        f"the edge's {role} is the node {end['node']!r}, which is not in "
                        "the pipeline.",
                        edge=eid,
                    )
                )
                ok = False
        if not ok:
            continue
        deps[dst["node"]].add(src["node"])
        scomp, tcomp = components.get(src["node"]), components.get(dst["node"])
        if scomp is None or tcomp is None:
            continue
        out = scomp.output(src["port"])
        inp = tcomp.input(dst["port"])
        if out is None:
            problems.append(
                Problem(
                    "error",
                    "unknown_port",
                    f"{scomp.name!r} has no output port {src['port']!r}; its outputs are "
                    f"{', '.join(p.name for p in scomp.outputs) or 'none'}.",
                    node=src["node"],
                    port=src["port"],
                    edge=eid,
                )
            )
        if inp is None:
            problems.append(
                Problem(
                    "error",
                    "unknown_port",
                    f"{tcomp.name!r} has no input port {dst['port']!r}; its inputs are "
                    f"{', '.join(p.name for p in tcomp.inputs) or 'none'}.",
                    node=dst["node"],
                    port=dst["port"],
                    edge=eid,
                )
            )
        if out is None or inp is None:
            continue
        if not port_accepts(inp.type, out.type):
            problems.append(
                Problem(
                    "error",
                    "port_type",
                    f"input {inp.name!r} takes {inp.type}, but output {out.name!r} of "
                    f"node {src['node']!r} gives {out.type}.",
                    node=dst["node"],
                    port=dst["port"],
                    edge=eid,
                )
            )
        key = (dst["node"], dst["port"])
        if key in connected:
            problems.append(
                Problem(
                    "error",
                    "input_connected_twice",
                    f"input {inp.name!r} is connected twice (edges {connected[key]} and {eid}); "
                    "an input takes one connection.",
                    node=dst["node"],
                    port=dst["port"],
                    edge=eid,
                )
            )
        connected[key] = eid
    for nid, comp in components.items():
        for port in comp.inputs:
            if not port.optional and (nid, port.name) not in connected:
                problems.append(
                    Problem(
                        "error",
                        "required_input",
                        f"the required input {port.name!r} ({port.type}) of {comp.name!r} "
                        "is not connected.",
                        node=nid,
                        port=port.name,
                    )
                )
    try:
        graphlib.TopologicalSorter({n: deps.get(n, set()) for n in nodes}).prepare()
    except graphlib.CycleError as exc:
        cycle = list(dict.fromkeys(exc.args[1]))
        for nid in cycle:
            problems.append(
                Problem(
                    "error",
                    "cycle",
                    "the nodes form a cycle: " + " -> ".join([*exc.args[1]]),
                    node=nid,
                )
            )
    return problems


def _parameter_problems(
    nid: str, node: dict[str, Any], comp: Component, declared: dict[str, dict[str, Any]]
) -> list[Problem]:
    found = []
    values = node.get("parameters") or {}
    for name, value in values.items():
        param = comp.parameter(name)
        if param is None:
            known = ", ".join(p.name for p in comp.parameters) or "none"
            found.append(
                Problem(
                    "error",
                    "unknown_parameter",
                    f"{comp.name!r} has no parameter {name!r}; its parameters are: {known}.",
                    node=nid,
                    parameter=name,
                )
            )
            continue
        if isinstance(value, dict):
            bound = declared.get(value["pipelineParameter"])
            if bound is None:
                found.append(
                    Problem(
                        "error",
                        "unknown_pipeline_parameter",
                        f"it is bound to the pipeline parameter {value['pipelineParameter']!r}, "
                        "which the pipeline does not declare.",
                        node=nid,
                        parameter=name,
                    )
                )
                continue
            value = bound["default"]
        why = param.check(value)
        if why is not None:
            found.append(
                Problem(
                    "error",
                    "parameter_value",
                    f"parameter {name!r} of {comp.name!r}: {why}",
                    node=nid,
                    parameter=name,
                )
            )
    for param in comp.parameters:
        if param.name not in values and param.default is None and not param.optional:
            found.append(
                Problem(
                    "error",
                    "parameter_missing",
                    f"parameter {param.name!r} of {comp.name!r} needs a value.",
                    node=nid,
                    parameter=param.name,
                )
            )
    return found
