"""``mlstudio data create|list|show``: Azure ML CLI v2 data assets as registered datasets.

``uri_file`` and ``uri_folder`` become file datasets, ``mltable`` a tabular dataset read as
its MLTable file says. Local paths are uploaded to the workspace's default datastore first,
as ``az ml data create`` does.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.cli import _references as refs
from jupyter_mlstudio.cli._common import note, open_workspace
from jupyter_mlstudio.cli._output import emit
from jupyter_mlstudio.cli._yaml import Spec, load_spec

if TYPE_CHECKING:
    from jupyter_mlstudio.core import Workspace

__all__ = ["add_commands"]

DATA_FIELDS = ["$schema", "name", "version", "description", "tags", "type", "path", "properties"]
TYPES = ("uri_file", "uri_folder", "mltable")
READERS = {
    "read_delimited": [
        "delimiter",
        "header",
        "encoding",
        "empty_as_string",
        "include_path_column",
        "infer_column_types",
        "support_multi_line",
    ],
    "read_parquet": ["include_path_column"],
    "read_json_lines": ["encoding", "include_path_column", "invalid_lines"],
}


def add_commands(groups: Any, common: argparse.ArgumentParser) -> None:
    """Add ``mlstudio data create|list|show`` to the command line.

    Parameters
    ----------
    groups
        The subparsers action of the ``mlstudio`` parser (from ``add_subparsers``).
    common
        The parent parser with the options every subcommand takes (``-o``, ``-w``, ``--path``).
    """
    data = groups.add_parser("data", help="register and find data assets (datasets)")
    cmds = data.add_subparsers(dest="command", required=True)
    create = cmds.add_parser("create", parents=[common], help="register a data asset from YAML")
    create.add_argument("-f", "--file", required=True, help="the data asset's YAML spec")
    create.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    create.set_defaults(func=_create)
    listing = cmds.add_parser("list", parents=[common], help="the latest version of each")
    listing.set_defaults(func=_list)
    show = cmds.add_parser("show", parents=[common], help="one data asset")
    show.add_argument("-n", "--name", required=True)
    show.add_argument("-v", "--version", default=None)
    show.set_defaults(func=_show)


def _row(dataset: Any) -> dict[str, Any]:
    profile = dataset.profile or {}
    return {
        "name": dataset.name,
        "version": dataset.version,
        "type": "tabular (mltable)" if dataset._kind == "tabular" else "file",
        "description": dataset.description,
        "rows": profile.get("rows"),
        "tags": dataset.tags,
    }


def _create(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    spec = load_spec(args.file)
    for assignment in args.set:
        spec.set(assignment)
    fields = spec.check_keys((), spec.data, DATA_FIELDS, "a data asset", ["name", "path"])
    kind = fields.get("type", "uri_folder")
    if kind not in TYPES:
        raise spec.error(
            ("type",),
            f"the data type {kind!r} is not known.",
            hint=f"Use one of {', '.join(TYPES)}.",
        )
    name = str(fields["name"])
    path = str(fields["path"])
    if kind == "mltable":
        dataset = _mltable(ws, spec, name, path)
    else:
        dataset = _files(ws, spec, name, path, kind)
    registered = dataset.register(
        ws,
        name,
        description=fields.get("description"),
        tags={str(k): str(v) for k, v in (fields.get("tags") or {}).items()},
        create_new_version=True,
    )
    if fields.get("version") is not None and str(fields["version"]) != str(registered.version):
        note(f"versions are numbered by the workspace: this is version {registered.version}.")
    emit(_row(registered), args.output)
    return 0


def _upload(ws: Workspace, name: str, local: Path) -> tuple[Any, str]:
    """Copy a local file or folder to the default datastore; (datastore, its path there)."""
    datastore = ws.get_default_datastore()
    prefix = f"LocalUpload/{name}/{time.strftime('%Y%m%d%H%M%S')}"
    if local.is_dir():
        datastore.upload(str(local), target_path=prefix, overwrite=True, show_progress=False)
        return datastore, prefix
    datastore.upload_files(
        [str(local)],
        relative_root=str(local.parent),
        target_path=prefix,
        overwrite=True,
        show_progress=False,
    )
    return datastore, f"{prefix}/{local.name}"


def _source(ws: Workspace, spec: Spec, path: str) -> Any:
    """What ``from_files`` takes for a spec's path: an uploaded (datastore, path), or a URL."""
    from jupyter_mlstudio.core import Datastore

    if path.startswith("azureml://datastores/"):
        store, _, rel = path.removeprefix("azureml://datastores/").partition("/paths/")
        return Datastore(ws, store), rel
    if not refs.is_local_path(path):
        return path
    local = refs.local_path(spec, ("path",), path)
    return None if local is None else local


def _files(ws: Workspace, spec: Spec, name: str, path: str, kind: str) -> Any:
    from jupyter_mlstudio.core import Dataset

    source = _source(ws, spec, path)
    if isinstance(source, Path):
        if kind == "uri_file" and not source.is_file():
            raise spec.error(("path",), f"type uri_file needs a file, and {path!r} is a folder.")
        if kind == "uri_folder" and not source.is_dir():
            raise spec.error(("path",), f"type uri_folder needs a folder, and {path!r} is a file.")
        source = _upload(ws, name, source)
    return Dataset.File.from_files(source)


def _mltable(ws: Workspace, spec: Spec, name: str, path: str) -> Any:
    """A tabular dataset from a folder with an MLTable file (paths + one read transform)."""
    from jupyter_mlstudio.core import Dataset

    folder = refs.local_path(spec, ("path",), path)
    table_file = folder / "MLTable" if folder.is_dir() else folder
    if not table_file.is_file():
        raise spec.error(("path",), f"type mltable needs a folder with an MLTable file: {path!r}.")
    table = load_spec(table_file)
    fields = table.check_keys(
        (),
        table.data,
        ["$schema", "type", "paths", "transformations"],
        "an MLTable file",
        ["paths"],
    )
    datastore, prefix = _upload(ws, name, table_file.parent)
    sources = []
    for i, entry in enumerate(fields["paths"] or []):
        item = table.check_keys(("paths", i), entry, ["file", "folder", "pattern"], "a path")
        (key, rel), *_ = item.items()
        if not refs.is_local_path(str(rel)):
            raise table.error(("paths", i), "only paths beside the MLTable file are supported.")
        rel = str(rel).removeprefix("./").rstrip("/")
        sources.append((datastore, f"{prefix}/{rel}/**" if key == "folder" else f"{prefix}/{rel}"))
    steps = fields.get("transformations") or [{"read_delimited": {}}]
    first = steps[0] if isinstance(steps, list) and steps else None
    if not isinstance(first, dict) or len(first) != 1 or next(iter(first)) not in READERS:
        raise table.error(
            ("transformations",), f"the first transformation must be one of {', '.join(READERS)}."
        )
    reader, options = next(iter(first.items()))
    options = table.check_keys(
        ("transformations", 0, reader), options or {}, READERS[reader], f"{reader}"
    )
    if len(steps) > 1:
        note("only the MLTable's read transformation is applied; later ones are left out.")
    if reader == "read_parquet":
        return Dataset.Tabular.from_parquet_files(sources)
    if reader == "read_json_lines":
        return Dataset.Tabular.from_json_lines_files(sources)
    header = options.get("header", "all_files_same_headers")
    return Dataset.Tabular.from_delimited_files(
        sources,
        separator=str(options.get("delimiter", ",")),
        header=header != "no_header",
        encoding=str(options.get("encoding", "utf8")).replace("-", ""),
        support_multi_line=bool(options.get("support_multi_line", False)),
        empty_as_string=bool(options.get("empty_as_string", False)),
    )


def _list(args: argparse.Namespace) -> int:
    from jupyter_mlstudio.core import Dataset

    ws = open_workspace(args)
    emit([_row(d) for d in Dataset.get_all(ws).values()], args.output)
    return 0


def _show(args: argparse.Namespace) -> int:
    from jupyter_mlstudio.core import Dataset

    ws = open_workspace(args)
    dataset = Dataset.get_by_name(ws, args.name, args.version or "latest")
    shown = _row(dataset)
    if args.output == "json":
        shown["profile"] = dataset.profile
    emit(shown, args.output)
    return 0
