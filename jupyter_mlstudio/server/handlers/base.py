"""The base of every studio handler: Jupyter auth, JSON out, errors as ``{message, reason}``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, TypeVar

from jupyter_server.base.handlers import APIHandler

from jupyter_mlstudio.errors import MlStudioError, ValidationError
from jupyter_mlstudio.server.context import StudioContext
from jupyter_mlstudio.server.errors import http_status
from jupyter_mlstudio.studio import Studio

__all__ = ["StudioHandler"]

T = TypeVar("T")


class StudioHandler(APIHandler):
    """Every route is ``@tornado.web.authenticated``; blocking work runs off the event loop."""

    @property
    def context(self) -> StudioContext:
        """The server's studio context (from the web app's ``mlstudio`` setting)."""
        return self.settings["mlstudio"]

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` in the studio's thread pool (store and file calls block)."""
        return await asyncio.wrap_future(self.context.executor.submit(fn, *args, **kwargs))

    async def studio_call(self, fn: Callable[[Studio], T]) -> T:
        """Run ``fn(studio)`` in the thread pool; ``WorkspaceNotFoundError`` (404) if none."""
        return await self.call(lambda: fn(self.context.studio()))

    def send(self, body: Any, status: int = 200) -> None:
        """Finish the request with ``body`` as JSON (no NaN; unknown types as strings).

        Parameters
        ----------
        body
            Anything :func:`json.dumps` takes.
        status
            The HTTP status (default 200).
        """
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body, allow_nan=False, default=str))

    # ---- parsing -------------------------------------------------------------------------
    def query_args(self) -> dict[str, list[str]]:
        """Every query argument, decoded: name to the list of its values."""
        return {k: [v.decode() for v in vs] for k, vs in self.request.query_arguments.items()}

    def int_arg(
        self, name: str, default: int | None = None, *, lo: int = 0, hi: int = 10**12
    ) -> int | None:
        """The whole-number query argument ``name``, or ``default`` if absent or empty.

        Parameters
        ----------
        name
            The query argument's name.
        default
            What an absent or empty argument gives.
        lo, hi
            The bounds the value must lie within (inclusive).

        Raises
        ------
        ValidationError
            If the value is not a whole number or is out of bounds (a 400).
        """
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError as exc:
            raise ValidationError(f"{name} must be a whole number, not {raw!r}.") from exc
        if not lo <= value <= hi:
            raise ValidationError(f"{name} must be between {lo} and {hi}, not {value}.")
        return value

    def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object (an empty body gives ``{}``).

        Raises
        ------
        ValidationError
            If the body is not JSON or not an object (a 400).
        """
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError as exc:
            raise ValidationError(f"The request body is not JSON: {exc}.") from exc
        if not isinstance(body, dict):
            raise ValidationError("The request body must be a JSON object.")
        return body

    # ---- errors --------------------------------------------------------------------------
    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Answer an :class:`MlStudioError` as JSON ``{message, reason, hint}``.

        Its status comes from :func:`~jupyter_mlstudio.server.errors.http_status`; other
        errors are answered as Jupyter's ``APIHandler`` does.
        """
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, MlStudioError):
            status = http_status(exc)
            body: dict[str, Any] = {
                "message": exc.message,
                "reason": type(exc).__name__,
                "hint": exc.hint,
            }
            self.set_status(status)
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(body, default=str))
            return
        super().write_error(status_code, **kwargs)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """Log user errors (statuses below 500) as one info line, others with a traceback."""
        if isinstance(value, MlStudioError) and http_status(value) < 500:
            self.log.info("%s %s: %s", self.request.method, self.request.uri, value)
            return
        super().log_exception(typ, value, tb)
