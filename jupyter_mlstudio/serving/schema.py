"""Input schemas from sample inputs, as the ``inference_schema`` package declares them.

A score.py may decorate ``run`` (names and arguments as in inference_schema)::

    from jupyter_mlstudio.serving.schema import input_schema, output_schema, NumpyParameterType

    @input_schema("data", NumpyParameterType(np.array([[0.1] * 11])))
    @output_schema(NumpyParameterType(np.array([5.0])))
    def run(data):                       # receives body["data"] as a numpy array
        return model.predict(data).tolist()

or, undecorated, set ``sample_input = {"data": [[0.1] * 11]}`` at module level. Either way the
body is checked against the sample (keys, shape without the row count, dtype kind) before
``run`` sees it; a mismatch is answered 422 with what was expected, and the sample feeds the
endpoint's swagger.json.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from jupyter_mlstudio.serving.errors import ScoringInputError

__all__ = [
    "NumpyParameterType",
    "PandasParameterType",
    "ParameterType",
    "StandardPythonParameterType",
    "input_schema",
    "output_schema",
    "schema_of",
]

_SCHEMA_ATTR = "__mlstudio_schema__"


class ParameterType:
    """A parameter described by a sample; ``convert`` checks a value and shapes it."""

    def __init__(self, sample_input: Any) -> None:
        self.sample_input = sample_input

    def convert(self, value: Any, name: str) -> Any:
        """Check that ``value`` has the sample's structure, and return it.

        Parameters
        ----------
        value : Any
            The request body's value for this parameter, as parsed from JSON.
        name : str
            The parameter's name, used in error messages.

        Returns
        -------
        Any
            ``value`` as given.

        Raises
        ------
        ScoringInputError
            If it lacks a key the sample has, or differs from it in nesting, row width or
            the kind of a scalar.
        """
        _check_like(value, _plain(self.sample_input), name)
        return value

    def sample_json(self) -> Any:
        """The sample as JSON-ready Python (numpy arrays and DataFrames as lists).

        Returns
        -------
        Any
            What swagger.json shows as the example, and error hints quote.
        """
        return _plain(self.sample_input)


class StandardPythonParameterType(ParameterType):
    """A plain Python value (numbers, strings, lists, dicts) shaped like the sample."""


class NumpyParameterType(ParameterType):
    """A numpy array: the row count is free; other dimensions and the dtype kind are not."""

    def __init__(
        self, sample_input: Any, enforce_column_type: bool = True, enforce_shape: bool = True
    ) -> None:
        super().__init__(sample_input)
        self.enforce_column_type = enforce_column_type
        self.enforce_shape = enforce_shape

    def convert(self, value: Any, name: str) -> Any:
        """The value as a numpy array of the sample's dtype, once its shape and kind fit.

        Parameters
        ----------
        value : Any
            The request body's value for this parameter (nested lists).
        name : str
            The parameter's name, used in error messages.

        Returns
        -------
        numpy.ndarray
            The array, cast to the sample's dtype (left as it is when empty).

        Raises
        ------
        ScoringInputError
            If the lists are ragged; with ``enforce_shape``, if a dimension other than the
            first (the rows) differs from the sample's; with ``enforce_column_type``, if the
            values are of another kind (whole numbers pass where the sample has floats).
        """
        import numpy as np

        sample = np.asarray(self.sample_input)
        try:
            array = np.asarray(value)
        except ValueError as exc:  # ragged lists
            raise ScoringInputError(
                f"'{name}' is not a rectangular array: {exc}.",
                hint=f"Send rows shaped like the sample, e.g. {_short(self.sample_json())}.",
            ) from exc
        if self.enforce_shape and array.shape[1:] != sample.shape[1:]:
            want = ("n", *sample.shape[1:])
            raise ScoringInputError(
                f"'{name}' has shape {array.shape}; this endpoint expects {want}.",
                hint=f"Send rows shaped like the sample, e.g. {_short(self.sample_json())}.",
            )
        if self.enforce_column_type and not _kind_fits(array.dtype.kind, sample.dtype.kind):
            raise ScoringInputError(
                f"'{name}' holds {_kind_name(array.dtype.kind)} values; this endpoint expects "
                f"{_kind_name(sample.dtype.kind)}.",
                hint=f"Send values like the sample, e.g. {_short(self.sample_json())}.",
            )
        return array.astype(sample.dtype, copy=False) if array.size else array


class PandasParameterType(ParameterType):
    """A DataFrame in ``orient`` form (records by default) with the sample's columns."""

    def __init__(
        self,
        sample_input: Any,
        enforce_column_type: bool = True,
        enforce_shape: bool = True,
        apply_column_names: bool = False,
        orient: str = "records",
    ) -> None:
        super().__init__(sample_input)
        self.enforce_column_type = enforce_column_type
        self.enforce_shape = enforce_shape
        self.apply_column_names = apply_column_names
        self.orient = orient

    def sample_json(self) -> Any:
        """The sample DataFrame as JSON-ready Python, in this type's ``orient``."""
        return _plain(self.sample_input.to_dict(orient=self.orient))

    def convert(self, value: Any, name: str) -> Any:
        """The value as a DataFrame, once its columns fit the sample's.

        Parameters
        ----------
        value : Any
            The request body's value for this parameter: a list of records when ``orient``
            is ``'records'``, otherwise the keyword arguments of ``pandas.DataFrame``.
        name : str
            The parameter's name, used in error messages.

        Returns
        -------
        pandas.DataFrame
            With ``enforce_shape``, exactly the sample's columns in the sample's order.

        Raises
        ------
        ScoringInputError
            If the value cannot be read as a table; with ``enforce_shape``, if a sample
            column is missing; with ``enforce_column_type``, if a column holds values of
            another kind than the sample's.
        """
        import pandas as pd

        try:
            frame = pd.DataFrame(value) if self.orient == "records" else pd.DataFrame(**value)
        except (ValueError, TypeError) as exc:
            raise ScoringInputError(
                f"'{name}' cannot be read as a table ({self.orient}): {exc}.",
                hint=f"Send it like the sample, e.g. {_short(self.sample_json())}.",
            ) from exc
        columns = list(self.sample_input.columns)
        if self.enforce_shape:
            missing = [c for c in columns if c not in frame.columns]
            if missing:
                raise ScoringInputError(
                    f"'{name}' lacks the column(s) {missing}.",
                    hint=f"This endpoint expects the columns {columns}.",
                )
            frame = frame[columns]
        if self.enforce_column_type:
            for col in columns:
                if col in frame.columns and not _kind_fits(
                    frame[col].dtype.kind, self.sample_input[col].dtype.kind
                ):
                    got = _kind_name(frame[col].dtype.kind)
                    want = _kind_name(self.sample_input[col].dtype.kind)
                    raise ScoringInputError(
                        f"Column {col!r} of '{name}' holds {got} values; this endpoint "
                        f"expects {want}.",
                    )
        return frame


def input_schema(
    param_name: str,
    param_type: ParameterType,
    convert_to_provided_type: bool = True,
    optional: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare that ``run`` takes ``param_name`` from the request body, shaped as the sample."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        schema = dict(getattr(fn, _SCHEMA_ATTR, {"inputs": {}, "optional": set(), "output": None}))
        schema["inputs"] = {param_name: param_type, **schema["inputs"]}
        schema["optional"] = set(schema["optional"]) | ({param_name} if optional else set())
        inner = getattr(fn, "__wrapped__", fn)

        @functools.wraps(inner)
        def run(*args: Any, **kwargs: Any) -> Any:
            if convert_to_provided_type:
                for name, ptype in schema["inputs"].items():
                    if name in kwargs:
                        kwargs[name] = ptype.convert(kwargs[name], name)
            return inner(*args, **kwargs)

        setattr(run, _SCHEMA_ATTR, schema)
        return run

    return decorate


def output_schema(output_type: ParameterType) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare the shape of ``run``'s answer (it feeds swagger.json)."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        schema = dict(getattr(fn, _SCHEMA_ATTR, {"inputs": {}, "optional": set(), "output": None}))
        schema["output"] = output_type
        setattr(fn, _SCHEMA_ATTR, schema)
        return fn

    return decorate


def schema_of(run: Callable[..., Any]) -> dict[str, Any] | None:
    """The schema a decorated ``run`` carries, or None."""
    return getattr(run, _SCHEMA_ATTR, None)


def check_body(
    body: Any, inputs: Mapping[str, ParameterType], optional: set[str]
) -> dict[str, Any]:
    """The keyword arguments for a decorated ``run``: the body's keys, converted."""
    if not isinstance(body, dict):
        raise ScoringInputError(
            f"The request body is a JSON {type(body).__name__}; this endpoint expects an object "
            f"with the key(s) {sorted(inputs)}.",
        )
    missing = [k for k in inputs if k not in body and k not in optional]
    if missing:
        raise ScoringInputError(
            f"The request body lacks {missing}.",
            hint=f"This endpoint expects an object with the key(s) {sorted(inputs)}.",
        )
    unknown = [k for k in body if k not in inputs]
    if unknown:
        raise ScoringInputError(
            f"The request body has unexpected key(s) {unknown}.",
            hint=f"This endpoint expects the key(s) {sorted(inputs)}.",
        )
    return {k: inputs[k].convert(v, k) for k, v in body.items()}


# ---- checking plain values against a sample ----------------------------------------------
def _check_like(value: Any, sample: Any, where: str) -> None:
    """Same structure as the sample: dict keys, list nesting and width, scalar kinds."""
    if isinstance(sample, dict):
        if not isinstance(value, dict):
            raise ScoringInputError(f"'{where}' must be an object, not {_json_type(value)}.")
        missing = [k for k in sample if k not in value]
        if missing:
            raise ScoringInputError(
                f"'{where}' lacks the key(s) {missing}.",
                hint=f"Send it like the sample, e.g. {_short(sample)}.",
            )
        for key, sub in sample.items():
            _check_like(value[key], sub, f"{where}.{key}")
    elif isinstance(sample, list):
        if not isinstance(value, list):
            raise ScoringInputError(
                f"'{where}' must be an array, not {_json_type(value)}.",
                hint=f"Send it like the sample, e.g. {_short(sample)}.",
            )
        if sample and isinstance(sample[0], list):
            width = len(sample[0])
            for i, row in enumerate(value):
                if not isinstance(row, list) or len(row) != width:
                    got = len(row) if isinstance(row, list) else _json_type(row)
                    raise ScoringInputError(
                        f"Row {i} of '{where}' has {got} values; this endpoint expects {width}.",
                        hint=f"Send rows like the sample, e.g. {_short(sample)}.",
                    )
                for j, cell in enumerate(row):
                    _check_like(cell, sample[0][min(j, width - 1)], f"{where}[{i}][{j}]")
        elif sample:
            for i, item in enumerate(value):
                _check_like(item, sample[0], f"{where}[{i}]")
    elif isinstance(sample, bool):
        if not isinstance(value, bool):
            raise ScoringInputError(f"'{where}' must be true or false, not {_json_type(value)}.")
    elif isinstance(sample, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ScoringInputError(f"'{where}' must be a number, not {_json_type(value)}.")
        if isinstance(sample, int) and not isinstance(value, int):
            raise ScoringInputError(f"'{where}' must be a whole number, not {value!r}.")
    elif isinstance(sample, str) and not isinstance(value, str):
        raise ScoringInputError(f"'{where}' must be a string, not {_json_type(value)}.")


def _plain(value: Any) -> Any:
    """A sample as JSON-ready Python (numpy arrays and DataFrames become lists)."""
    if hasattr(value, "to_dict") and hasattr(value, "columns"):
        return _plain(value.to_dict(orient="records"))
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


_KINDS = {"b": "boolean", "i": "integer", "u": "integer", "f": "number", "c": "complex"}


def _kind_name(kind: str) -> str:
    return _KINDS.get(kind, "text" if kind in "USO" else kind)


def _kind_fits(got: str, want: str) -> bool:
    if want == "f":
        return got in "iuf"
    if want in "iu":
        return got in "iu"
    if want in "USO":
        return got in "USO"
    return got == want


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _short(sample: Any) -> str:
    import json

    text = json.dumps(sample)
    return text if len(text) <= 120 else text[:117] + "..."
