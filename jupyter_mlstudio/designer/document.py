"""The ``.mlpipeline`` document: nodes, edges, pipeline parameters and settings, as plain data.

The document is the single source of truth the canvas edits and the SDK runs. It is JSON
described by ``mlpipeline.schema.json`` (format version :data:`FORMAT_VERSION`, shipped in
this package). :class:`PipelineDocument` wraps the parsed JSON: it reads, writes and edits
it, and never checks more than the shape (see :mod:`jupyter_mlstudio.designer.validation`).
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jupyter_mlstudio.errors import ValidationError

__all__ = ["FORMAT_VERSION", "SCHEMA_PATH", "PipelineDocument", "schema"]

FORMAT_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("mlpipeline.schema.json")
SUFFIX = ".mlpipeline"


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of the current format version (read once; it is package data)."""
    return json.loads(SCHEMA_PATH.read_text())


def empty_document(name: str = "pipeline") -> dict[str, Any]:
    """The JSON of a new, empty pipeline."""
    return {
        "format": "mlpipeline",
        "version": FORMAT_VERSION,
        "name": name,
        "description": "",
        "settings": {"compute": "local", "environment": None, "allow_reuse": True},
        "parameters": [],
        "nodes": [],
        "edges": [],
    }


class PipelineDocument:
    """A designer pipeline: ``nodes`` (components with parameter values), ``edges`` (output
    port to input port), pipeline ``parameters`` and ``settings`` (default compute target,
    environment, reuse).

    Parameters
    ----------
    data : Mapping, optional
        The document's JSON (a new empty pipeline when left out).
    path : str or os.PathLike, optional
        Where the document lives; relative component files and data paths are resolved
        from its folder.

    Examples
    --------
    >>> doc = PipelineDocument.new("demo")
    >>> a = doc.add_node("builtin:enter_data_manually", parameters={"data": "x,y\\n1,0"})
    >>> b = doc.add_node("builtin:remove_duplicate_rows")
    >>> doc.connect(a, "results_dataset", b, "input_dataset")
    """

    def __init__(
        self, data: Mapping[str, Any] | None = None, path: str | os.PathLike[str] | None = None
    ) -> None:
        self.data: dict[str, Any] = (
            copy.deepcopy(dict(data)) if data is not None else empty_document()
        )
        self.path = Path(path).expanduser().resolve() if path is not None else None

    # ---- files ---------------------------------------------------------------------------
    @classmethod
    def new(cls, name: str = "pipeline") -> PipelineDocument:
        """An empty pipeline named ``name``."""
        return cls(empty_document(name))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PipelineDocument:
        """Read a ``.mlpipeline`` file (its shape is checked by :meth:`validate`)."""
        file = Path(path).expanduser()
        if not file.is_file():
            raise ValidationError(
                f"There is no pipeline document at {file}.",
                hint="Pass the path of an existing .mlpipeline file.",
                path=str(file),
            )
        try:
            data = json.loads(file.read_text())
        except ValueError as exc:
            raise ValidationError(
                f"{file} is not valid JSON: {exc}.",
                hint="A .mlpipeline file is JSON; open it in the designer or fix it by hand.",
                path=str(file),
            ) from exc
        if not isinstance(data, dict):
            raise ValidationError(f"{file} does not hold a JSON object.", path=str(file))
        version = data.get("version")
        if isinstance(version, int) and version > FORMAT_VERSION:
            raise ValidationError(
                f"{file} has format version {version}; this jupyter_mlstudio reads up to "
                f"{FORMAT_VERSION}.",
                hint="Upgrade jupyter_mlstudio to open it.",
                path=str(file),
            )
        doc = cls(path=file)
        doc.data = data  # parsed here, so it is ours already: no copy
        return doc

    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the document (atomically: a temporary file, then a rename); returns the path."""
        target = Path(path).expanduser().resolve() if path is not None else self.path
        if target is None:
            raise ValidationError(
                "This document has no path yet.", hint="Pass one: doc.save('x.mlpipeline')."
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(self.to_json())
        os.replace(tmp, target)
        self.path = target
        return target

    def to_json(self) -> str:
        """The document as indented JSON text (stable key order, friendly to diffs)."""
        return json.dumps(self.data, indent=1) + "\n"

    @property
    def folder(self) -> Path:
        """The folder relative paths are resolved from (the current one for unsaved documents)."""
        return self.path.parent if self.path is not None else Path.cwd()

    # ---- reading -------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The pipeline's name (its file name when it has none)."""
        return str(self.data.get("name") or (self.path.stem if self.path else "pipeline"))

    @property
    def nodes(self) -> list[dict[str, Any]]:
        """The nodes (edited in place)."""
        return self.data.setdefault("nodes", [])

    @property
    def edges(self) -> list[dict[str, Any]]:
        """The edges (edited in place)."""
        return self.data.setdefault("edges", [])

    @property
    def parameters(self) -> list[dict[str, Any]]:
        """The pipeline parameters (edited in place)."""
        return self.data.setdefault("parameters", [])

    @property
    def settings(self) -> dict[str, Any]:
        """Default compute target, environment and reuse (edited in place)."""
        return self.data.setdefault("settings", {})

    def node(self, node_id: str) -> dict[str, Any]:
        """The node with id ``node_id``."""
        for node in self.nodes:
            if node.get("id") == node_id:
                return node
        raise ValidationError(
            f"The pipeline has no node {node_id!r}.",
            hint=f"Its nodes are: {', '.join(str(n.get('id')) for n in self.nodes) or 'none'}.",
            node=node_id,
        )

    def incoming(self, node_id: str) -> Iterator[dict[str, Any]]:
        """Edges that end at ``node_id``."""
        return (e for e in self.edges if e["target"]["node"] == node_id)

    def outgoing(self, node_id: str) -> Iterator[dict[str, Any]]:
        """Edges that start at ``node_id``."""
        return (e for e in self.edges if e["source"]["node"] == node_id)

    # ---- editing -------------------------------------------------------------------------
    def _new_id(self, prefix: str) -> str:
        items = self.nodes if prefix == "n" else self.edges
        taken = {item.get("id") for item in items}
        i = len(items) + 1
        while f"{prefix}{i}" in taken:
            i += 1
        return f"{prefix}{i}"

    def add_node(
        self,
        ref: str,
        *,
        version: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        node_id: str | None = None,
        name: str | None = None,
        position: tuple[float, float] | None = None,
        comment: str | None = None,
        compute: str | None = None,
    ) -> str:
        """Add a component node; returns its id. ``ref`` is ``builtin:<id>`` or
        ``file:<notebook path relative to the document>``."""
        nid = node_id or self._new_id("n")
        node: dict[str, Any] = {"id": nid, "component": {"ref": ref}}
        if version is not None:
            node["component"]["version"] = version
        if name:
            node["name"] = name
        node["parameters"] = dict(parameters or {})
        x, y = position if position is not None else (0.0, 120.0 * len(self.nodes))
        node["position"] = {"x": x, "y": y}
        if comment:
            node["comment"] = comment
        if compute:
            node["compute"] = compute
        self.nodes.append(node)
        return nid

    def remove_node(self, node_id: str) -> None:
        """Remove a node and every edge touching it."""
        self.node(node_id)
        self.data["nodes"] = [n for n in self.nodes if n.get("id") != node_id]
        self.data["edges"] = [
            e
            for e in self.edges
            if e["source"]["node"] != node_id and e["target"]["node"] != node_id
        ]

    def connect(self, source: str, source_port: str, target: str, target_port: str) -> str:
        """Add an edge from ``source``'s output port to ``target``'s input port; returns its id."""
        eid = self._new_id("e")
        self.edges.append(
            {
                "id": eid,
                "source": {"node": source, "port": source_port},
                "target": {"node": target, "port": target_port},
            }
        )
        return eid

    def add_parameter(self, name: str, default: Any, description: str = "") -> None:
        """Declare a pipeline parameter (its type is its default's)."""
        kind = {bool: "bool", int: "int", float: "float", str: "string"}.get(type(default))
        if kind is None:
            raise ValidationError(
                f"The default of pipeline parameter {name!r} is a {type(default).__name__}; "
                "it must be a bool, int, float or str.",
                name=name,
            )
        self.data["parameters"] = [p for p in self.parameters if p.get("name") != name]
        self.parameters.append(
            {"name": name, "type": kind, "default": default, "description": description}
        )

    def set_parameter(self, node_id: str, name: str, value: Any) -> None:
        """Set a node's parameter value (``{"pipelineParameter": name}`` binds it to a
        pipeline parameter)."""
        self.node(node_id).setdefault("parameters", {})[name] = value

    def validate(self, library: Any = None) -> list[dict[str, Any]]:
        """Every problem, as JSON-able dicts (see :func:`~jupyter_mlstudio.designer.validate`)."""
        from jupyter_mlstudio.designer.validation import validate

        return [p.to_dict() for p in validate(self, library)]

    def __repr__(self) -> str:
        return (
            f"PipelineDocument(name={self.name!r}, nodes={len(self.nodes)}, "
            f"edges={len(self.edges)})"
        )
