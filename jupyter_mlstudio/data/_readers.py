"""Reading tabular files into Arrow tables, with errors that name the file and line."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.data.datapath import ResolvedFile
from jupyter_mlstudio.errors import UserErrorException

if TYPE_CHECKING:
    import pyarrow as pa


class MalformedDataError(UserErrorException):
    """A data file that cannot be parsed; says which file and line."""


_TYPE_NAMES = {
    "int": "int64",
    "integer": "int64",
    "float": "float64",
    "double": "float64",
    "str": "string",
    "string": "string",
    "bool": "bool",
    "boolean": "bool",
    "datetime": "timestamp[us]",
    "date": "date32",
}


def _arrow_type(name: Any) -> pa.DataType:
    import pyarrow as pa

    if isinstance(name, pa.DataType):
        return name
    text = getattr(name, "name", None) or str(name)
    text = _TYPE_NAMES.get(text.lower(), text)
    return pa.type_for_alias(text)


def read_table(files: Sequence[ResolvedFile], fmt: dict[str, Any]) -> pa.Table:
    """Read and concatenate every file; adds a ``Path`` column with ``include_path``."""
    import pyarrow as pa

    tables = []
    for file in files:
        table = _read_one(file, fmt)
        if fmt.get("include_path"):
            table = table.append_column("Path", pa.array(["/" + file.relative] * table.num_rows))
        tables.append(table)
    if not tables:
        return pa.table({})
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except pa.ArrowInvalid as exc:
        raise MalformedDataError(
            f"The files of this dataset do not share one schema: {exc}.",
            hint="Give the files the same columns and types, or set set_column_types.",
        ) from exc


def _read_one(file: ResolvedFile, fmt: dict[str, Any]) -> pa.Table:
    import pyarrow as pa

    kind = fmt["type"]
    source: Any
    if type(file.fs).__name__ == "LocalFileSystem":
        source = file.path  # Arrow reads local files itself, in parallel
    else:
        with file.fs.open(file.path, "rb") as fh:
            source = io.BytesIO(fh.read())
    try:
        if kind == "delimited":
            return _read_csv(source, fmt)
        if kind == "parquet":
            import pyarrow.parquet as pq

            return pq.read_table(source)
        if kind == "json_lines":
            import pyarrow.json as pj

            return pj.read_json(source)
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError) as exc:
        line = None
        if kind == "delimited":
            with file.fs.open(file.path, "rb") as fh:
                line = _bad_line(fh.read(), fmt)
        where = f"{file.path}, line {line[0]}" if line else file.path
        detail = line[1] if line else str(exc).split("\n")[0]
        raise MalformedDataError(
            f"{where} cannot be read as {kind.replace('_', ' ')} data: {detail}.",
            hint="Fix that row (or the separator, header and encoding options) and try again.",
            path=file.path,
            line=line[0] if line else None,
        ) from exc
    raise UserErrorException(f"Unknown data format {kind!r}.")


def _read_csv(source: Any, fmt: dict[str, Any]) -> pa.Table:
    import pyarrow.csv as pcsv

    encoding = fmt.get("encoding", "utf8")
    header = fmt.get("header", True)
    read = pcsv.ReadOptions(
        encoding="utf8" if encoding in ("utf8", "utf-8") else encoding,
        autogenerate_column_names=not header,
        block_size=1 << 24,
    )
    parse = pcsv.ParseOptions(
        delimiter=fmt.get("separator", ","), newlines_in_values=bool(fmt.get("support_multi_line"))
    )
    types = {col: _arrow_type(kind) for col, kind in (fmt.get("set_column_types") or {}).items()}
    convert = pcsv.ConvertOptions(
        column_types=types,
        strings_can_be_null=not fmt.get("empty_as_string", False),
        quoted_strings_can_be_null=not fmt.get("empty_as_string", False),
    )
    if not fmt.get("infer_column_types", True):
        import pyarrow as pa

        reader = pcsv.open_csv(source, read_options=read, parse_options=parse)
        names = reader.schema.names
        reader.close()
        if isinstance(source, io.BytesIO):
            source.seek(0)
        convert.column_types = {name: types.get(name, pa.string()) for name in names}
    return pcsv.read_csv(source, read_options=read, parse_options=parse, convert_options=convert)


def _bad_line(data: bytes, fmt: dict[str, Any]) -> tuple[int, str] | None:
    """(line number, what is wrong) of the first row whose field count differs."""
    text = data.decode(fmt.get("encoding", "utf8"), errors="replace")
    reader = csv.reader(io.StringIO(text), delimiter=fmt.get("separator", ","))
    expected = None
    for row in reader:
        if not row:
            continue
        if expected is None:
            expected = len(row)
        elif len(row) != expected:
            return reader.line_num, f"expected {expected} fields, found {len(row)}"
    return None
