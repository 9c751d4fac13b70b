"""YAML specs read with their line numbers, so that a wrong field can be pointed at.

PyYAML composes the document into nodes that carry their marks; :func:`load_spec` turns them
into plain Python values and keeps, for every key path, the line it was written on.
``--set key=value`` overrides go through :meth:`Spec.set`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from jupyter_mlstudio.errors import ValidationError

__all__ = ["Spec", "SpecError", "load_spec"]

KeyPath = tuple[str | int, ...]


class SpecError(ValidationError):
    """A YAML spec that cannot be used; ``file`` and ``line`` say where."""


@dataclass
class Spec:
    """A loaded YAML document: ``data`` and the ``lines`` each key path was written on."""

    data: Any
    path: Path
    lines: dict[KeyPath, int] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        """The folder relative paths in the spec (``code``, ``path``...) start from."""
        return self.path.parent

    def where(self, key_path: KeyPath) -> str:
        """``job.yml, line 7`` (or ``--set`` for a value given on the command line)."""
        line = self.lines.get(key_path)
        if line is None and key_path:
            line = self.lines.get(key_path[:-1])
        if line == 0:
            return f"{self.path.name} (from --set)"
        return f"{self.path.name}, line {line}" if line else self.path.name

    def error(self, key_path: KeyPath, message: str, hint: str | None = None) -> SpecError:
        """An error about the value at ``key_path``, naming its file and line."""
        line = self.lines.get(key_path)
        return SpecError(
            f"{self.where(key_path)}: {message}",
            hint=hint,
            file=str(self.path),
            line=line,
            key=".".join(str(k) for k in key_path),
        )

    def check_keys(
        self,
        key_path: KeyPath,
        value: Any,
        allowed: Iterable[str],
        what: str,
        required: Iterable[str] = (),
    ) -> dict[str, Any]:
        """``value`` as a mapping whose keys are all in ``allowed``; else a SpecError."""
        allowed = list(allowed)
        if not isinstance(value, Mapping):
            raise self.error(key_path, f"{what} must be a mapping of fields, not {_kind(value)}.")
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"Did you mean {close[0]!r}? " if close else ""
                raise self.error(
                    (*key_path, key),
                    f"unknown field {key!r} in {what}.",
                    hint=f"{hint}Known fields: {', '.join(allowed)}.",
                )
        for key in required:
            if value.get(key) in (None, ""):
                raise self.error(key_path, f"{what} needs the field {key!r}.")
        return dict(value)

    def set(self, assignment: str) -> None:
        """Apply ``a.b.c=value`` (value read as YAML, so numbers stay numbers)."""
        key, eq, raw = assignment.partition("=")
        if not eq or not key.strip():
            raise SpecError(
                f"--set {assignment!r} is not of the form key=value.",
                hint="For example: --set inputs.max_depth=8 or --set experiment_name=wine.",
            )
        parts: list[str | int] = [p for p in key.strip().split(".") if p]
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        if not isinstance(self.data, dict):
            raise SpecError(f"{self.path.name} holds no mapping to --set {key!r} in.")
        target: Any = self.data
        for i, part in enumerate(parts[:-1]):
            nxt = target.get(part) if isinstance(target, dict) else None
            if nxt is None:
                nxt = {}
                target[part] = nxt
            elif not isinstance(nxt, dict):
                where = ".".join(str(p) for p in parts[: i + 1])
                raise SpecError(f"--set {key}: {where} is not a mapping in {self.path.name}.")
            target = nxt
        target[parts[-1]] = value
        self.lines[tuple(parts)] = 0


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, list):
        return "a list"
    return f"the {type(value).__name__} {value!r}"


def load_spec(path: str | Path) -> Spec:
    """Read a YAML spec file, keeping the line of every key; bad YAML is a SpecError."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise SpecError(
            f"The spec file {file} does not exist.",
            hint="Pass the path of a YAML file with -f, e.g. -f job.yml.",
            file=str(file),
        )
    text = file.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise SpecError(
            f"{file.name}, line {line}: this is not valid YAML ({exc.problem}).",
            file=str(file),
            line=line,
        ) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"{file.name} is not valid YAML: {exc}", file=str(file)) from None
    spec = Spec(data=None, path=file.resolve())
    if node is None:
        raise SpecError(f"{file.name} is empty.", file=str(file))
    spec.data = _convert(node, (), spec, yaml.SafeLoader(""))
    return spec


def _convert(node: yaml.Node, key_path: KeyPath, spec: Spec, loader: yaml.SafeLoader) -> Any:
    spec.lines.setdefault(key_path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # merge keys (<<: *anchor)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            sub = (*key_path, key)
            if key in out:
                spec.lines[sub] = key_node.start_mark.line + 1
                raise spec.error(sub, f"the field {key!r} is given twice.")
            spec.lines[sub] = key_node.start_mark.line + 1
            out[key] = _convert(value_node, sub, spec, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*key_path, i), spec, loader) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
