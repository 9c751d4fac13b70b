"""Running a whole designer document in this process (no kernels, no store).

:class:`InProcessGraph` runs each node's notebook in topological order with
:class:`~jupyter_mlstudio.designer.executor.CompiledNotebook`, port folders under a work
folder. A deployed inference pipeline uses it per request (the nodes that do not depend on
the request, such as the saved model, run once at start-up); tests use it to run every
built-in component on real data quickly.
"""

from __future__ import annotations

import graphlib
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.designer.compiler import compile_document
from jupyter_mlstudio.designer.executor import CompiledNotebook
from jupyter_mlstudio.designer.library import ComponentLibrary

if TYPE_CHECKING:
    import pandas as pd

    from jupyter_mlstudio.designer.document import PipelineDocument

__all__ = ["InProcessGraph"]

WEB_INPUT = "builtin:web_service_input"
WEB_OUTPUT = "builtin:web_service_output"


class InProcessGraph:
    """A validated document, ready to run in this process.

    Parameters
    ----------
    document : PipelineDocument
    library : ComponentLibrary, optional
    serving : bool
        In serving mode Web Service Input nodes take the request's rows (their own input
        edges are cut, so the training data source never runs) and Web Service Output nodes
        give the response.
    """

    def __init__(
        self,
        document: PipelineDocument,
        library: ComponentLibrary | None = None,
        serving: bool = False,
    ) -> None:
        self.document = document
        self.library = library or ComponentLibrary(document.folder)
        compile_document(document, self.library)  # refuses a document with errors
        self.serving = serving
        self.nodes = {n["id"]: n for n in document.nodes}
        self.components = {
            nid: self.library.get(n["component"]["ref"]) for nid, n in self.nodes.items()
        }
        self.feeds = {
            (e["target"]["node"], e["target"]["port"]): (e["source"]["node"], e["source"]["port"])
            for e in document.edges
            if not (serving and self.nodes[e["target"]["node"]]["component"]["ref"] == WEB_INPUT)
        }
        self.inputs = [nid for nid, n in self.nodes.items() if n["component"]["ref"] == WEB_INPUT]
        self.outputs = [nid for nid, n in self.nodes.items() if n["component"]["ref"] == WEB_OUTPUT]
        self.defaults = {p["name"]: p["default"] for p in document.parameters}
        deps: dict[str, set[str]] = {nid: set() for nid in self.nodes}
        for (target, _), (source, _) in self.feeds.items():
            deps[target].add(source)
        self.order = list(graphlib.TopologicalSorter(deps).static_order())
        self.deps = deps
        self._notebooks: dict[Path, CompiledNotebook] = {}
        self.static_dir: Path | None = None

    def _notebook(self, nid: str) -> CompiledNotebook:
        path = self.components[nid].notebook
        if path not in self._notebooks:
            self._notebooks[path] = CompiledNotebook.load(path)
        return self._notebooks[path]

    def _values(
        self, nid: str, folders: Mapping[tuple[str, str], Path], workdir: Path
    ) -> dict[str, Any]:
        comp = self.components[nid]
        given = self.nodes[nid].get("parameters") or {}
        values: dict[str, Any] = {}
        for param in comp.parameters:
            value = given.get(param.name, param.default)
            if isinstance(value, dict):
                value = self.defaults[value["pipelineParameter"]]
            elif param.type == "path" and value:
                value = str((self.document.folder / value).resolve())
            values[param.name] = value
        for port in comp.inputs:
            source = self.feeds.get((nid, port.name))
            values[port.name] = str(folders[source]) if source is not None else None
        for port in comp.outputs:
            folder = workdir / nid / port.name
            folder.mkdir(parents=True, exist_ok=True)
            values[port.name] = str(folder)
        return values

    def _downstream_of(self, starts: list[str]) -> set[str]:
        found = set(starts)
        for nid in self.order:
            if self.deps[nid] & found:
                found.add(nid)
        return found

    def _needed(self, targets: list[str]) -> set[str]:
        found = set(targets)
        for nid in reversed(self.order):
            if nid in found:
                found |= self.deps[nid]
        return found

    def run(self, workdir: str | Path | None = None) -> dict[tuple[str, str], Path]:
        """Run every node (pipeline mode); returns each output port's folder."""
        root = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="designer-"))
        folders: dict[tuple[str, str], Path] = {}
        for nid in self.order:
            self._run_node(nid, folders, root)
        return folders

    def _run_node(self, nid: str, folders: dict[tuple[str, str], Path], root: Path) -> None:
        self._notebook(nid).run(self._values(nid, folders, root))
        for port in self.components[nid].outputs:
            folders[(nid, port.name)] = root / nid / port.name

    # ---- serving ---------------------------------------------------------------------------
    def prepare(self) -> None:
        """Run, once, the nodes the request path needs but that do not depend on a request
        (the saved model and transformations)."""
        if not self.inputs or not self.outputs:
            from jupyter_mlstudio.errors import ValidationError

            raise ValidationError(
                "An inference pipeline needs a Web Service Input and a Web Service Output node.",
                hint="Create it with create_inference_pipeline(), or add both nodes.",
            )
        per_request = self._downstream_of(self.inputs)
        needed = self._needed(self.outputs)
        self.static_dir = Path(tempfile.mkdtemp(prefix="designer-static-"))
        self._static: dict[tuple[str, str], Path] = {}
        for nid in self.order:
            if nid in needed and nid not in per_request:
                self._run_node(nid, self._static, self.static_dir)
        self._per_request = [n for n in self.order if n in per_request and n in needed]
        for nid in self._per_request:
            self._notebook(nid)  # compiled now, not on the first request

    def score(self, tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """Answer one request: ``tables`` by Web Service Input name; returns the Web
        Service Outputs' tables by name."""
        from jupyter_mlstudio.designer import runtime as rt

        if self.static_dir is None:
            self.prepare()
        names = {self._param(nid, "name"): nid for nid in self.inputs}
        unknown = sorted(set(tables) - set(names))
        if unknown:
            raise ValueError(
                f"The endpoint has no input {unknown[0]!r}; its inputs are "
                f"{', '.join(sorted(names))}."
            )
        root = Path(tempfile.mkdtemp(prefix="designer-request-"))
        try:
            folders = dict(self._static)
            for nid in self._per_request:
                if nid in self.inputs:
                    name = self._param(nid, "name")
                    if name not in tables:
                        raise ValueError(f"The request has no rows for the input {name!r}.")
                    rt.write_table(tables[name], root / nid / "output")
                    folders[(nid, "output")] = root / nid / "output"
                    continue
                if nid in self.outputs:
                    source = self.feeds[(nid, "input_dataset")]
                    folders[(nid, "output")] = folders[source]
                    continue
                self._run_node(nid, folders, root)
            return {
                self._param(nid, "name"): rt.read_table(folders[(nid, "output")])
                for nid in self.outputs
            }
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def _param(self, nid: str, name: str) -> Any:
        comp = self.components[nid]
        given = self.nodes[nid].get("parameters") or {}
        param = comp.parameter(name)
        return given.get(name, param.default if param else None)

    def close(self) -> None:
        """Remove the folder of the nodes run once at start-up."""
        if self.static_dir is not None:
            shutil.rmtree(self.static_dir, ignore_errors=True)
