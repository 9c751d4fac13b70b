"""The component library: where a node's ``component.ref`` is found.

Two sources, chosen by the ref's scheme: ``builtin:<id>`` (the notebooks shipped in
``designer/components/``) and ``file:<path>`` (a user's notebook or Python script, relative
to the document).
A :class:`ComponentLibrary` reads each notebook once and keeps what it read (no state is kept
between libraries: the canvas' REST handler makes one per request or keeps its own).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from jupyter_mlstudio.designer.components import (
    Component,
    component_from_notebook,
    component_from_script,
)
from jupyter_mlstudio.errors import NotFoundError, ValidationError

__all__ = ["BUILTIN_FOLDER", "ComponentLibrary", "ComponentNotFoundError", "builtin_components"]

BUILTIN_FOLDER = Path(__file__).with_name("components")


class ComponentNotFoundError(NotFoundError):
    """A node names a component that no source has."""


@cache
def _builtins() -> tuple[Component, ...]:
    # Package data: read once per process; Components are frozen.
    found = []
    for path in sorted(BUILTIN_FOLDER.glob("*.ipynb")):
        comp = component_from_notebook(path, ref=f"builtin:{path.stem}")
        found.append(comp)
    return tuple(found)


def builtin_components() -> list[Component]:
    """The built-in components, sorted by category then name."""
    return sorted(_builtins(), key=lambda c: (c.category, c.name))


class ComponentLibrary:
    """Resolves component refs to :class:`Component` interfaces.

    Parameters
    ----------
    base : str or os.PathLike, optional
        Folder ``file:`` refs are relative to (the document's folder).
    """

    def __init__(self, base: str | os.PathLike[str] | None = None) -> None:
        self.base = Path(base) if base is not None else Path.cwd()
        self._builtin = {c.ref: c for c in _builtins()}
        self._files: dict[str, tuple[float, Component]] = {}

    def builtins(self) -> list[Component]:
        """The built-in components (the palette's library)."""
        return builtin_components()

    def notebook_path(self, ref: str) -> Path:
        """The notebook file a ``file:`` ref points at."""
        rel = ref.removeprefix("file:")
        path = Path(rel).expanduser()
        return path if path.is_absolute() else (self.base / path)

    def get(self, ref: str) -> Component:
        """The component ``ref`` names; raises :class:`ComponentNotFoundError` if none."""
        if ref.startswith("builtin:"):
            found = self._builtin.get(ref)
            if found is None:
                near = sorted(r.removeprefix("builtin:") for r in self._builtin)
                raise ComponentNotFoundError(
                    f"There is no built-in component {ref.removeprefix('builtin:')!r}.",
                    hint=f"Built-in components are: {', '.join(near)}.",
                    ref=ref,
                )
            return found
        if ref.startswith("file:"):
            path = self.notebook_path(ref)
            try:
                mtime = path.stat().st_mtime
            except OSError:
                raise ComponentNotFoundError(
                    f"The component notebook {path} does not exist.",
                    hint="Fix the node's component path (relative to the .mlpipeline file).",
                    ref=ref,
                ) from None
            cached = self._files.get(ref)
            if cached is None or cached[0] != mtime:
                read = component_from_script if path.suffix == ".py" else component_from_notebook
                cached = (mtime, read(path, ref=ref))
                self._files[ref] = cached
            return cached[1]
        raise ValidationError(
            f"{ref!r} is not a component reference.",
            hint="Use 'builtin:<id>' or 'file:<notebook path>'.",
            ref=ref,
        )
