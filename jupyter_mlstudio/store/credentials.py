"""Datastore secrets: kept out of the metadata database.

A datastore record holds only a reference: environment variable names, or the path of a
file under the user's ``MLSTUDIO_HOME`` that only the user can read (mode 0600). The
secrets are read when the datastore is used.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jupyter_mlstudio.errors import UserErrorException

__all__ = ["MissingCredentialsError", "resolve_storage_options", "save_secret_file"]


class MissingCredentialsError(UserErrorException):
    """A datastore's secret could not be found where its reference points."""


def _home() -> Path:
    return Path(os.environ.get("MLSTUDIO_HOME") or Path.home() / ".mlstudio")


def save_secret_file(workspace: str, datastore: str, secrets: Mapping[str, Any]) -> str:
    """Write ``secrets`` to a file only the user can read; returns its path."""
    folder = _home() / "credentials" / workspace
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    path = folder / f"{datastore}.json"
    tmp = path.with_suffix(f".tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(dict(secrets), fh)
    os.replace(tmp, path)
    return str(path)


def resolve_storage_options(name: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The fsspec storage options of datastore ``name``, secrets included."""
    resolved = dict(options.get("storage_options") or {})
    refs = options.get("credentials") or {}
    for option, variable in (refs.get("env") or {}).items():
        value = os.environ.get(variable)
        if value is None:
            raise MissingCredentialsError(
                f"The datastore {name!r} takes its {option!r} from the environment variable "
                f"{variable}, which is not set.",
                hint=f"Set {variable} in the environment of Jupyter and your jobs.",
                name=name,
                variable=variable,
            )
        resolved[option] = value
    secret_file = refs.get("file")
    if secret_file:
        try:
            resolved.update(json.loads(Path(secret_file).read_text()))
        except (OSError, ValueError) as exc:
            raise MissingCredentialsError(
                f"The credentials of datastore {name!r} cannot be read from {secret_file}: {exc}.",
                hint="Register the datastore again with its credentials "
                "(overwrite=True), on this machine.",
                name=name,
            ) from exc
    return resolved
