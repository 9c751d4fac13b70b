"""Checks of user-given names, with messages that say what a valid one looks like."""

from __future__ import annotations

import re

from jupyter_mlstudio.errors import ValidationError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,254}$")


def check_name(kind: str, name: object) -> str:
    """Return ``name`` if it is a valid workspace, experiment or asset name, else explain."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationError(
            f"{name!r} is not a valid {kind} name.",
            hint=f"A {kind} name starts with a letter or digit and has at most 255 letters, "
            "digits, '_', '-' or '.'.",
            name=name,
        )
    return name
