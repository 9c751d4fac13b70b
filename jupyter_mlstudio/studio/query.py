"""Parse the runs list's query string (filters, sort, page) into a typed :class:`RunQuery`.

Malformed input raises :class:`~jupyter_mlstudio.errors.ValidationError`, which the REST
layer answers with a 400 that says what was wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.store import RunsFilter, RunStatus
from jupyter_mlstudio.store.studio import MetricCondition, RunOrder

__all__ = ["MAX_PAGE", "RunQuery", "parse_condition", "parse_run_query"]

MAX_PAGE = 500
_CONDITION = re.compile(r"^\s*(?P<key>[^<>=!]+?)\s*(?P<op><=|>=|!=|=|<|>)\s*(?P<value>.*?)\s*$")
_SORT_KEYS = ("created", "number", "status", "started", "ended", "experiment", "name")
_STATUSES = {s.value.lower(): s.value for s in RunStatus}


@dataclass(frozen=True)
class RunQuery:
    """Which runs to list, in what order, and which page."""

    filters: RunsFilter = field(default_factory=RunsFilter)
    metrics: tuple[MetricCondition, ...] = ()
    params: tuple[MetricCondition, ...] = ()
    order: RunOrder = field(default_factory=RunOrder)
    limit: int = 50
    offset: int = 0


def parse_condition(text: str, *, numeric: bool) -> MetricCondition:
    """``"loss<0.5"`` -> MetricCondition("loss", "<", 0.5)."""
    match = _CONDITION.match(text)
    if not match or not match["value"]:
        raise ValidationError(
            f"The condition {text!r} is not of the form key<op>value.",
            hint="Use one of = != < <= > >=, for example metric=loss<0.5 or param=lr=0.01.",
            condition=text,
        )
    value: float | str = match["value"]
    if numeric:
        try:
            value = float(match["value"])
        except ValueError as exc:
            raise ValidationError(
                f"The metric condition {text!r} needs a number after {match['op']!r}.",
                condition=text,
            ) from exc
    return MetricCondition(match["key"], match["op"], value)


def _values(args: Mapping[str, Sequence[str]], name: str) -> list[str]:
    """Repeated and comma-separated values of one query argument."""
    out: list[str] = []
    for raw in args.get(name, ()):
        out.extend(part.strip() for part in raw.split(",") if part.strip())
    return out


def _int(args: Mapping[str, Sequence[str]], name: str, default: int, lo: int, hi: int) -> int:
    given = args.get(name)
    if not given:
        return default
    try:
        value = int(given[-1])
    except ValueError as exc:
        raise ValidationError(f"{name} must be a whole number, not {given[-1]!r}.") from exc
    if not lo <= value <= hi:
        raise ValidationError(f"{name} must be between {lo} and {hi}, not {value}.")
    return value


def parse_sort(text: str) -> RunOrder:
    """``-created`` (newest first), ``number``, ``metric:loss``, ``-param:lr``..."""
    descending = text.startswith("-")
    by = text.lstrip("-+")
    if by not in _SORT_KEYS and not (
        by.startswith(("metric:", "param:")) and by[by.index(":") + 1 :]
    ):
        raise ValidationError(
            f"Cannot sort runs by {text!r}.",
            hint=f"Use one of {', '.join(_SORT_KEYS)}, metric:<key> or param:<key>, with a "
            "leading '-' for descending order.",
            sort=text,
        )
    return RunOrder(by=by, descending=descending)


def parse_run_query(args: Mapping[str, Sequence[str]]) -> RunQuery:
    """A :class:`RunQuery` from query arguments (each name maps to its given values).

    ``experiment``, ``status``: comma-separated or repeated; ``tag``: ``key`` or ``key=value``;
    ``metric``: ``key<op>number`` on the latest value; ``param``: ``key<op>text``;
    ``parent``: a run id (its children), ``top_level=true``; ``sort``; ``limit``; ``offset``.
    """
    statuses = []
    for status in _values(args, "status"):
        if status.lower() not in _STATUSES:
            raise ValidationError(
                f"{status!r} is not a run status.",
                hint=f"Use one of {', '.join(_STATUSES.values())}.",
                status=status,
            )
        statuses.append(_STATUSES[status.lower()])
    tags: dict[str, str | None] = {}
    for tag in args.get("tag", ()):
        key, sep, value = tag.partition("=")
        if not key.strip():
            raise ValidationError(f"The tag filter {tag!r} has no key.", tag=tag)
        tags[key.strip()] = value if sep else None
    experiments = _values(args, "experiment")
    parent = (args.get("parent") or [None])[-1]
    top_level = (args.get("top_level") or ["false"])[-1].lower()
    if top_level not in ("true", "false", "1", "0"):
        raise ValidationError(f"top_level must be true or false, not {top_level!r}.")
    return RunQuery(
        filters=RunsFilter(
            experiment_names=tuple(experiments) or None,
            statuses=tuple(statuses) or None,
            tags=tags or None,
            parent_run_id=parent or None,
            top_level_only=top_level in ("true", "1"),
        ),
        metrics=tuple(parse_condition(c, numeric=True) for c in args.get("metric", ())),
        params=tuple(parse_condition(c, numeric=False) for c in args.get("param", ())),
        order=parse_sort((args.get("sort") or ["-created"])[-1]),
        limit=_int(args, "limit", 50, 1, MAX_PAGE),
        offset=_int(args, "offset", 0, 0, 10**9),
    )
