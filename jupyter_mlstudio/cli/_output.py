"""How commands print what they return: an aligned table for people, JSON for scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

__all__ = ["emit"]

_MAX_CELL = 60


def emit(
    value: Any,
    output: str,
    columns: Sequence[str] | None = None,
    stream: TextIO | None = None,
) -> None:
    """Print ``value`` (a mapping, or a list of mappings) as ``output``: 'table' or 'json'.

    In a table, a list gets one row per item with ``columns`` (default: the first item's
    keys); a single mapping is printed as two columns, field and value.
    """
    out = stream or sys.stdout
    if output == "json":
        out.write(json.dumps(value, indent=2, default=str) + "\n")
        return
    if isinstance(value, Mapping):
        rows = [[str(k), _cell(v)] for k, v in value.items()]
        _table(["Field", "Value"], rows, out)
        return
    items = list(value)
    if not items:
        out.write("(none)\n")
        return
    cols = list(columns or items[0].keys())
    _table([_title(c) for c in cols], [[_cell(i.get(c)) for c in cols] for i in items], out)


def _title(name: str) -> str:
    return name.replace("_", " ").title() if name.islower() else name


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Mapping):
        text = ", ".join(f"{k}={v}" for k, v in value.items())
    elif isinstance(value, list | tuple):
        text = ", ".join(str(v) for v in value)
    elif isinstance(value, float):
        text = f"{value:.6g}"
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"


def _table(headers: list[str], rows: list[list[str]], out: TextIO) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    out.write("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in rows:
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")
