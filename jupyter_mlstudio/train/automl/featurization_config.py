"""``FeaturizationConfig``: customized featurization (azureml.automl.core.featurization).

Passed as ``AutoMLConfig(featurization=config)``, it changes what ``featurization="auto"``
would do: a column's type (its *purpose*), columns to drop, transformers not to use, and
the parameters of the imputer and the hashing encoder::

    from jupyter_mlstudio.automl.core.featurization import FeaturizationConfig
    config = FeaturizationConfig()
    config.add_column_purpose("zip", "Categorical")
    config.add_drop_columns(["row_id"])
    config.add_transformer_params("Imputer", ["engine_size"], {"strategy": "median"})
    config.add_blocked_transformers(["OneHotEncoder"])

Everything here is checked as it is added (names, strategies); that the columns exist is
checked when the AutoMLConfig is made. The settings travel with the run as plain JSON
(:meth:`FeaturizationConfig._settings`), and the fitted ``DataTransformer`` applies them.
"""

from __future__ import annotations

import copy
from typing import Any

from jupyter_mlstudio.errors import ValidationError

__all__ = [
    "BLOCKABLE_TRANSFORMERS",
    "FEATURE_TYPES",
    "IMPUTER_STRATEGIES",
    "FeaturizationConfig",
]

# Azure ML's FeatureType names; "Hashes" is hashed like CategoricalHash, "AllNan" dropped.
FEATURE_TYPES = (
    "Numeric",
    "DateTime",
    "Categorical",
    "CategoricalHash",
    "Text",
    "Hashes",
    "Ignore",
    "AllNan",
)
# Azure ML's SupportedTransformers that may be blocked. Of these this studio uses
# OneHotEncoder, HashOneHotEncoder, TfIdf and CountVectorizer; blocking the others (target
# encoders, word embeddings) is accepted and changes nothing, as none is ever used.
BLOCKABLE_TRANSFORMERS = (
    "LabelEncoder",
    "TfIdf",
    "WoETargetEncoder",
    "OneHotEncoder",
    "CatTargetEncoder",
    "HashOneHotEncoder",
    "CountVectorizer",
    "NaiveBayes",
    "TextTargetEncoder",
    "WordEmbedding",
)
IMPUTER_STRATEGIES = ("mean", "median", "most_frequent", "constant")
# The transformers whose parameters can be set, and the parameters each takes.
TRANSFORMER_PARAMS = {
    "Imputer": ("strategy", "fill_value"),
    "HashOneHotEncoder": ("number_of_bits",),
}
MAX_HASH_BITS = 12


def _names(value: str | list[str] | None, what: str) -> list[str]:
    if value is None:
        return []
    names = [value] if isinstance(value, str) else list(value)
    for name in names:
        if not isinstance(name, str) or not name:
            raise ValidationError(f"{what} must be column names (strings), not {name!r}.")
    return names


def _check_params(transformer: str, params: dict[str, Any]) -> dict[str, Any]:
    if transformer not in TRANSFORMER_PARAMS:
        raise ValidationError(
            f"Parameters cannot be set for the transformer {transformer!r}.",
            hint=f"Transformers with parameters: {', '.join(TRANSFORMER_PARAMS)}.",
        )
    if not isinstance(params, dict):
        raise ValidationError(f"params must be a dict, not {type(params).__name__}.")
    unknown = sorted(set(params) - set(TRANSFORMER_PARAMS[transformer]))
    if unknown:
        raise ValidationError(
            f"{transformer} has no parameter {unknown[0]!r}.",
            hint=f"{transformer} takes: {', '.join(TRANSFORMER_PARAMS[transformer])}.",
        )
    if transformer == "Imputer":
        strategy = params.get("strategy", "mean")
        if strategy not in IMPUTER_STRATEGIES:
            raise ValidationError(
                f"Imputer strategy must be one of {', '.join(IMPUTER_STRATEGIES)}, "
                f"not {strategy!r}.",
            )
        if "fill_value" in params and strategy != "constant":
            raise ValidationError(
                "fill_value is for the Imputer strategy 'constant'.",
                hint='add_transformer_params("Imputer", cols, {"strategy": "constant", '
                '"fill_value": 0})',
            )
        if strategy == "constant" and "fill_value" not in params:
            raise ValidationError(
                "The Imputer strategy 'constant' needs a fill_value.",
                hint='{"strategy": "constant", "fill_value": 0}',
            )
    else:
        bits = params.get("number_of_bits")
        if not isinstance(bits, int) or isinstance(bits, bool) or not 1 <= bits <= MAX_HASH_BITS:
            raise ValidationError(
                f"HashOneHotEncoder number_of_bits must be an integer from 1 to "
                f"{MAX_HASH_BITS}, not {bits!r}.",
                hint="The encoder makes 2**number_of_bits columns per hashed column.",
            )
    return dict(params)


class FeaturizationConfig:
    """How AutoML featurizes, beyond ``featurization="auto"``.

    Mirrors ``azureml.automl.core.featurization.FeaturizationConfig``.

    Parameters
    ----------
    blocked_transformers : list of str, optional
        Transformers featurization must not use (``OneHotEncoder``,
        ``HashOneHotEncoder``, ``TfIdf``, ``CountVectorizer``...). A categorical column
        whose encoder is blocked is encoded by the other one; a text column without
        TF-IDF is counted with CountVectorizer; one with neither left is dropped.
    column_purposes : dict of str to str, optional
        Column name to feature type (``Numeric``, ``Categorical``, ``CategoricalHash``,
        ``DateTime``, ``Text``, ``Ignore``...), instead of the detected type.
    transformer_params : dict, optional
        Transformer name to a list of ``(columns, params)``, as
        :meth:`add_transformer_params` adds them.
    drop_columns : list of str, optional
        Columns to leave out of the features.
    dataset_language : str, optional
        A three-letter language code of the text columns (kept; TF-IDF does not depend on it).
    prediction_transform_type : str, optional
        Not supported: must be left out.
    """

    def __init__(
        self,
        blocked_transformers: list[str] | None = None,
        column_purposes: dict[str, str] | None = None,
        transformer_params: dict[str, list[tuple[list[str], dict[str, Any]]]] | None = None,
        drop_columns: list[str] | None = None,
        dataset_language: str | None = None,
        prediction_transform_type: str | None = None,
    ) -> None:
        """Make a config from the given settings, each checked as the ``add_*`` methods check it."""
        if prediction_transform_type is not None:
            raise ValidationError(
                "prediction_transform_type is not supported.",
                hint="Leave it out; convert the label column's type before training instead.",
            )
        self.blocked_transformers: list[str] = []
        self.column_purposes: dict[str, str] = {}
        self.transformer_params: dict[str, list[tuple[list[str], dict[str, Any]]]] = {}
        self.drop_columns: list[str] = []
        self.dataset_language = dataset_language
        self.prediction_transform_type = None
        self.add_blocked_transformers(blocked_transformers or [])
        for column, feature_type in (column_purposes or {}).items():
            self.add_column_purpose(column, feature_type)
        for transformer, entries in (transformer_params or {}).items():
            for cols, params in entries:
                self.add_transformer_params(transformer, cols, params)
        self.add_drop_columns(drop_columns or [])

    def add_column_purpose(self, column_name: str, feature_type: str) -> None:
        """Treat ``column_name`` as ``feature_type`` instead of its detected type.

        Parameters
        ----------
        column_name : str
            A feature column of the training data.
        feature_type : str
            One of ``Numeric``, ``DateTime``, ``Categorical``, ``CategoricalHash``,
            ``Text``, ``Hashes``, ``Ignore``, ``AllNan``.
        """
        (column_name,) = _names(column_name, "column_name")
        if feature_type not in FEATURE_TYPES:
            raise ValidationError(
                f"{feature_type!r} is not a feature type.",
                hint=f"Use one of: {', '.join(FEATURE_TYPES)}.",
            )
        self.column_purposes[column_name] = feature_type

    def remove_column_purpose(self, column_name: str) -> None:
        """Let featurization detect ``column_name``'s type again.

        Parameters
        ----------
        column_name : str
            A column given a purpose earlier.
        """
        self.column_purposes.pop(column_name, None)

    def add_blocked_transformers(self, transformers: str | list[str]) -> None:
        """Keep featurization from using ``transformers``.

        Parameters
        ----------
        transformers : str or list of str
            Names from ``BLOCKABLE_TRANSFORMERS``.
        """
        for name in [transformers] if isinstance(transformers, str) else list(transformers):
            if name not in BLOCKABLE_TRANSFORMERS:
                raise ValidationError(
                    f"{name!r} is not a transformer that can be blocked.",
                    hint=f"Use one of: {', '.join(BLOCKABLE_TRANSFORMERS)}.",
                )
            if name not in self.blocked_transformers:
                self.blocked_transformers.append(name)

    def add_drop_columns(self, drop_columns: str | list[str]) -> None:
        """Leave ``drop_columns`` out of the features.

        Parameters
        ----------
        drop_columns : str or list of str
            Feature columns of the training data.
        """
        for name in _names(drop_columns, "drop_columns"):
            if name not in self.drop_columns:
                self.drop_columns.append(name)

    def add_transformer_params(
        self, transformer: str, cols: list[str], params: dict[str, Any]
    ) -> None:
        """Set a transformer's parameters for some columns.

        Parameters
        ----------
        transformer : {"Imputer", "HashOneHotEncoder"}
            ``Imputer`` takes ``strategy`` (mean, median, most_frequent or constant, with
            ``fill_value``); ``HashOneHotEncoder`` takes ``number_of_bits``.
        cols : list of str
            The columns; an empty list means every column the transformer applies to.
        params : dict
            The parameters.
        """
        cols = _names(cols, "cols")
        params = _check_params(transformer, params)
        entries = self.transformer_params.setdefault(transformer, [])
        # A later setting for the same columns replaces the earlier one.
        entries[:] = [(c, p) for c, p in entries if sorted(c) != sorted(cols)]
        entries.append((cols, params))

    def get_transformer_params(self, transformer: str, cols: list[str]) -> dict[str, Any]:
        """The parameters set for ``transformer`` on exactly ``cols`` (empty if none).

        Parameters
        ----------
        transformer : str
            ``Imputer`` or ``HashOneHotEncoder``.
        cols : list of str
            The columns the parameters were added for.

        Returns
        -------
        dict
        """
        for c, p in self.transformer_params.get(transformer, []):
            if sorted(c) == sorted(_names(cols, "cols")):
                return dict(p)
        return {}

    def remove_transformer_params(self, transformer: str, cols: list[str] | None = None) -> None:
        """Forget the parameters of ``transformer`` (for ``cols`` only, if given).

        Parameters
        ----------
        transformer : str
            ``Imputer`` or ``HashOneHotEncoder``.
        cols : list of str, optional
            The columns the parameters were added for; all of them if left out.
        """
        if cols is None:
            self.transformer_params.pop(transformer, None)
            return
        entries = self.transformer_params.get(transformer, [])
        entries[:] = [(c, p) for c, p in entries if sorted(c) != sorted(_names(cols, "cols"))]

    def _settings(self) -> dict[str, Any]:
        """The settings as plain JSON (what the run stores and ``DataTransformer`` reads)."""
        return {
            "blocked_transformers": list(self.blocked_transformers),
            "column_purposes": dict(self.column_purposes),
            "transformer_params": {
                t: [[list(c), copy.deepcopy(p)] for c, p in entries]
                for t, entries in self.transformer_params.items()
            },
            "drop_columns": list(self.drop_columns),
            "dataset_language": self.dataset_language,
        }

    def __repr__(self) -> str:
        """The settings, for the notebook."""
        return f"FeaturizationConfig({self._settings()!r})"
