"""Running component notebooks in this process, without a kernel.

A pipeline run executes each component notebook on a kernel (papermill style). A deployed
inference pipeline answers a request in milliseconds, so its ``score.py`` runs the same
notebooks here instead: each notebook's code cells are compiled once (IPython syntax such
as ``%magic`` translated to Python), and each call executes them in a fresh namespace
holding the parameters cell's values, then the node's parameters and port folders, as
papermill's injected cell would. The code that served a request is the code the pipeline
ran.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import CodeType
from typing import Any

from jupyter_mlstudio.errors import ValidationError

__all__ = ["CompiledNotebook", "NotebookCellError"]


class NotebookCellError(Exception):
    """A component notebook's cell raised; the original error is its ``__cause__``."""

    def __init__(self, notebook: str, cell: int, error: BaseException) -> None:
        self.notebook = notebook
        self.cell = cell
        self.error = error
        super().__init__(f"Cell {cell} of {notebook} raised {type(error).__name__}: {error}")


def _python(source: str) -> str:
    if "%" not in source and "!" not in source:
        return source
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


@dataclass
class CompiledNotebook:
    """A notebook's parameters cell and other code cells, compiled."""

    path: Path
    parameters: CodeType | None
    cells: list[tuple[int, CodeType]]

    @classmethod
    def load(cls, path: str | Path) -> CompiledNotebook:
        """Read and compile the notebook at ``path``."""
        file = Path(path)
        if file.suffix == ".py":
            from jupyter_mlstudio.designer.components import script_blocks

            before, params, after = script_blocks(file.read_text(), file.name)
            return cls(
                file,
                compile(params, f"<{file.name} parameters>", "exec") if params else None,
                [
                    (i, compile(src, f"<{file.name}>", "exec"))
                    for i, src in ((0, before), (2, after))
                    if src.strip()
                ],
            )
        try:
            notebook = json.loads(file.read_text())
        except (OSError, ValueError) as exc:
            raise ValidationError(
                f"The notebook {file} cannot be read: {exc}.", path=str(file)
            ) from exc
        params: CodeType | None = None
        cells: list[tuple[int, CodeType]] = []
        for index, cell in enumerate(notebook.get("cells", [])):
            if cell.get("cell_type") != "code":
                continue
            src = cell.get("source", "")
            src = "".join(src) if isinstance(src, list) else src
            code = compile(_python(src), f"<{file.name} cell {index}>", "exec")
            if params is None and "parameters" in (cell.get("metadata", {}).get("tags") or []):
                params = code
            else:
                cells.append((index, code))
        return cls(file, params, cells)

    def run(self, values: Mapping[str, Any], quiet: bool = True) -> dict[str, Any]:
        """Execute the notebook with ``values`` injected; returns its namespace. A failing
        cell raises :class:`NotebookCellError` (its error chained)."""
        namespace: dict[str, Any] = {"__name__": "__main__"}
        out = io.StringIO()
        if quiet:
            # The notebook's own print() writes to this call's buffer: sys.stdout is left
            # alone, so calls on other threads (or the server's logs) are not disturbed.
            def _print(*args: Any, **kwargs: Any) -> None:
                kwargs.setdefault("file", out)
                print(*args, **kwargs)

            namespace["print"] = _print
        if self.parameters is not None:
            exec(self.parameters, namespace)
        namespace.update(values)
        for index, code in self.cells:
            try:
                exec(code, namespace)
            except Exception as exc:
                raise NotebookCellError(self.path.name, index, exc) from exc
        namespace["__stdout__"] = out.getvalue()
        return namespace
