"""Import-time shortcuts for the worker processes jupyter_mlstudio starts itself."""

from __future__ import annotations

import sys

__all__ = ["skip_slow_format_checkers"]


def skip_slow_format_checkers() -> None:
    """Keep jsonschema from importing ``rfc3987_syntax``.

    jsonschema imports it whenever it is installed (JupyterLab's dependencies install it),
    and it builds a parsing grammar at import: 1.5-2.5 s on this project's machines, paid by
    every notebook step before its first cell. nbformat's notebook validation never checks
    the IRI formats it serves. Only for our own step and job processes, never a user's.
    """
    if "rfc3987_syntax" not in sys.modules and "jsonschema" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  (import -> ImportError)
