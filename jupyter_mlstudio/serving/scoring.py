"""The framework-free core of the scoring server: a score.py, loaded once, called per request.

``ScoringService.load(path)`` imports the entry script and calls its ``init()``;
``service.score(body, content_type)`` returns a :class:`ScoreResult` (status, JSON bytes) and
never raises. What the caller sent wrong is a 4xx with a JSON error body; a ``run()`` that
raises is a 500 with a JSON error body and the traceback in the endpoint's log, and the next
request is served as usual. No web framework is imported here (``app.py`` wraps it).
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import orjson

from jupyter_mlstudio.serving.errors import ScoringInputError
from jupyter_mlstudio.serving.schema import (
    ParameterType,
    _check_like,
    _plain,
    check_body,
    schema_of,
)

__all__ = ["ScoreResult", "ScoringService", "error_body"]

log = logging.getLogger("jupyter_mlstudio.serving")

_JSON = "application/json"
_DUMP_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
# Errors from run() that almost always mean the input did not fit the model (a wrong number
# of features, a string where a number was due, a missing key): answered 400, not 500.
_INPUT_ERRORS = (ValueError, TypeError, KeyError, IndexError)


_UNPARSED = object()


class ScoreResult(NamedTuple):
    """One answer to a scoring request; a ``run()`` may return one to choose its answer.

    Attributes
    ----------
    status : int
        The HTTP status.
    body : bytes
        The body as sent.
    content_type : str
        Its media type, ``application/json`` unless given.
    """

    status: int
    body: bytes
    content_type: str = _JSON


def error_body(code: str, message: str, **extra: Any) -> bytes:
    """The JSON error body every failure answers with."""
    return orjson.dumps({"error": {"code": code, "message": message, **extra}})


def _error(status: int, code: str, message: str, **extra: Any) -> ScoreResult:
    return ScoreResult(status, error_body(code, message, **extra))


class ScoringService:
    """A loaded entry script: ``init()`` done, ``run()`` ready."""

    def __init__(
        self,
        module: ModuleType,
        run: Callable[..., Any],
        *,
        inputs: dict[str, ParameterType] | None = None,
        optional: set[str] | None = None,
        output: ParameterType | None = None,
        sample_input: Any = None,
    ) -> None:
        self.module = module
        self._run = run
        self.inputs = inputs
        self.optional = optional or set()
        self.output = output
        self.sample_input = sample_input

    @staticmethod
    def load(entry_script: str | Path, sample_input: Any = None) -> ScoringService:
        """Import ``entry_script`` and call its ``init()``; errors propagate (the caller logs
        them and reports the deployment Failed)."""
        path = Path(entry_script).resolve()
        spec = importlib.util.spec_from_file_location(path.stem, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"{path} cannot be imported as a Python module")
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module
        spec.loader.exec_module(module)
        run = getattr(module, "run", None)
        if not callable(run):
            raise AttributeError(f"{path.name} has no run() function; a scoring script needs one")
        init = getattr(module, "init", None)
        if callable(init):
            init()
        schema = schema_of(run)
        if sample_input is None:
            sample_input = getattr(module, "sample_input", None) or getattr(
                module, "input_sample", None
            )
        return ScoringService(
            module,
            run,
            inputs=schema["inputs"] if schema else None,
            optional=schema["optional"] if schema else None,
            output=schema["output"] if schema else None,
            sample_input=_plain(sample_input) if sample_input is not None else None,
        )

    def score(self, body: bytes, content_type: str | None = None) -> ScoreResult:
        """Answer one request body; never raises."""
        is_json = content_type is None or "json" in content_type or content_type == ""
        parsed: Any = _UNPARSED
        if is_json or self.inputs is not None:
            if not body.strip():
                return _error(400, "EmptyBody", "The request body is empty; send JSON.")
            try:
                parsed = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                return _error(400, "MalformedJson", f"The request body is not valid JSON: {exc}.")
        try:
            if self.inputs is not None:
                kwargs = check_body(parsed, self.inputs, self.optional)
                result = self._run(**kwargs)
            else:
                if self.sample_input is not None and parsed is not _UNPARSED:
                    _check_like(parsed, self.sample_input, "body")
                result = self._run(_text(body))
        except ScoringInputError as exc:
            return _error(exc.status, "InvalidInput", str(exc))
        except _INPUT_ERRORS as exc:
            log.warning("run() rejected its input: %s", _one_line(exc))
            return _error(
                400,
                "BadInput",
                f"The model could not use this input: {type(exc).__name__}: {_one_line(exc)}",
            )
        except Exception as exc:
            log.error("run() raised:\n%s", traceback.format_exc())
            return _error(
                500,
                "ScoringError",
                f"run() raised {type(exc).__name__}: {_one_line(exc)}",
            )
        if isinstance(result, ScoreResult):
            return result
        try:
            return ScoreResult(200, orjson.dumps(result, option=_DUMP_OPTIONS))
        except TypeError as exc:
            log.error("run() returned a value that is not JSON: %s", exc)
            return _error(
                500,
                "OutputNotSerializable",
                f"run() returned a {type(result).__name__}, which cannot be sent as JSON.",
            )


def _text(body: bytes) -> str | bytes:
    """Azure ML passes ``run`` the body as text; bytes that are not UTF-8 stay bytes."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().replace("\n", " ")
    return text if len(text) <= 500 else text[:497] + "..."
