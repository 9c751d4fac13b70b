"""``TabularDataset``: rows and columns from delimited, Parquet or JSON-lines files."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from jupyter_mlstudio.data.abstract_dataset import AbstractDataset
from jupyter_mlstudio.errors import UserErrorException, ValidationError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from jupyter_mlstudio.data.file_dataset import FileDataset

__all__ = ["TabularDataset"]


class TabularDataset(AbstractDataset):
    """A table (azureml.data.TabularDataset). Steps such as ``take`` or ``keep_columns``
    return new datasets and are applied when the data is read."""

    _kind: ClassVar[str] = "tabular"

    # ---- reading -------------------------------------------------------------------------
    def _to_arrow(self) -> pa.Table:
        from jupyter_mlstudio.data._readers import read_table

        table = read_table(self._files(), self._definition["format"])
        for step in self._definition.get("transforms", []):
            table = _apply(table, step)
        return table

    def to_pandas_dataframe(
        self, on_error: str = "null", out_of_range_datetime: str = "null"
    ) -> pd.DataFrame:
        """Read the dataset into a pandas DataFrame (Arrow's multithreaded readers)."""
        return self._to_arrow().to_pandas()

    def to_arrow_table(self) -> pa.Table:
        """Read the dataset into a ``pyarrow.Table`` (with its steps applied)."""
        return self._to_arrow()

    def _make_profile(self) -> dict[str, Any]:
        from jupyter_mlstudio.data.profile import profile_table

        return profile_table(self._to_arrow())

    # ---- steps -------------------------------------------------------------------------
    def take(self, count: int) -> TabularDataset:
        """The first ``count`` rows."""
        return self._derive({"op": "take", "count": _count(count)})  # type: ignore[return-value]

    def skip(self, count: int) -> TabularDataset:
        """All but the first ``count`` rows."""
        return self._derive({"op": "skip", "count": _count(count)})  # type: ignore[return-value]

    def take_sample(self, probability: float, seed: int | None = None) -> TabularDataset:
        """Each row kept with ``probability`` (seeded: the same rows every time)."""
        return self._derive(  # type: ignore[return-value]
            {"op": "sample", "probability": _share(probability), "seed": _seed(seed)}
        )

    def random_split(
        self,
        percentage: float,
        seed: int | None = None,
    ) -> tuple[TabularDataset, TabularDataset]:
        """Two datasets with about ``percentage`` and the rest of the rows."""
        seed = _seed(seed)
        share = _share(percentage)
        first = self._derive({"op": "split", "percentage": share, "seed": seed, "part": 0})
        second = self._derive({"op": "split", "percentage": share, "seed": seed, "part": 1})
        return first, second  # type: ignore[return-value]

    def keep_columns(self, columns: str | list[str], validate: bool = False) -> TabularDataset:
        """Return a new, unregistered dataset with only these columns.

        A column the data does not have is an error when the data is read (``validate`` is
        accepted and ignored).
        """
        return self._derive({"op": "keep_columns", "columns": _columns(columns)})  # type: ignore[return-value]

    def drop_columns(self, columns: str | list[str]) -> TabularDataset:
        """Return a new, unregistered dataset without these columns.

        A column the data does not have is an error when the data is read.
        """
        return self._derive({"op": "drop_columns", "columns": _columns(columns)})  # type: ignore[return-value]

    def filter(self, expression: str) -> TabularDataset:
        """Rows matching a pandas ``query`` expression, e.g. ``"quality >= 6"``."""
        if not isinstance(expression, str) or not expression.strip():
            raise ValidationError(
                "filter() takes a pandas query expression as text, e.g. 'quality >= 6'."
            )
        return self._derive({"op": "filter", "expression": expression})  # type: ignore[return-value]

    def to_csv_files(self, separator: str = ",") -> FileDataset:
        """Refuse: converting to CSV files is not offered (there is no datastore to write to).

        Raises
        ------
        UserErrorException
            Always; write the DataFrame with ``Dataset.Tabular.register_pandas_dataframe``.
        """
        raise UserErrorException(
            "to_csv_files needs a datastore to write to.",
            hint="Use Dataset.Tabular.register_pandas_dataframe.",
        )


def _count(count: Any) -> int:
    if not isinstance(count, int) or count < 0:
        raise ValidationError(f"count must be a non-negative integer, not {count!r}.")
    return count


def _share(value: Any) -> float:
    if not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValidationError(
            f"Expected a share between 0 and 1, not {value!r}.",
            hint="For example 0.8 for 80 percent.",
        )
    return float(value)


def _seed(seed: int | None) -> int:
    return 0 if seed is None else int(seed)


def _columns(columns: str | list[str]) -> list[str]:
    return [columns] if isinstance(columns, str) else [str(c) for c in columns]


def _apply(table: pa.Table, step: dict[str, Any]) -> pa.Table:
    import numpy as np
    import pyarrow as pa

    op = step["op"]
    if op == "take":
        return table.slice(0, step["count"])
    if op == "skip":
        return table.slice(step["count"])
    if op == "sample":
        keep = np.random.default_rng(step["seed"]).random(table.num_rows) < step["probability"]
        return table.filter(pa.array(keep))
    if op == "split":
        first = np.random.default_rng(step["seed"]).random(table.num_rows) < step["percentage"]
        return table.filter(pa.array(first if step["part"] == 0 else ~first))
    if op in ("keep_columns", "drop_columns"):
        missing = [c for c in step["columns"] if c not in table.column_names]
        if missing:
            raise ValidationError(
                f"The dataset has no column {missing[0]!r}.",
                hint=f"Its columns are: {', '.join(table.column_names)}.",
            )
        if op == "keep_columns":
            return table.select(step["columns"])
        return table.drop_columns(step["columns"])
    if op == "filter":
        frame = table.to_pandas()
        try:
            kept = frame.query(step["expression"])
        except Exception as exc:  # pandas raises many kinds for a bad expression
            raise ValidationError(
                f"The filter {step['expression']!r} cannot be applied: {exc}.",
                hint="Use a pandas query expression over the column names.",
            ) from exc
        return pa.Table.from_pandas(kept, preserve_index=False)
    raise ValidationError(f"Unknown dataset step {op!r}.")
