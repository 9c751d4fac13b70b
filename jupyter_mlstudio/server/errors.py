"""Which HTTP status answers which error of jupyter_mlstudio: the one place that decides."""

from __future__ import annotations

from jupyter_mlstudio.errors import (
    ConflictError,
    MlStudioError,
    NotFoundError,
    SchemaVersionError,
    StoreUnavailableError,
    UserErrorException,
)

__all__ = ["http_status"]

# Most specific first: NotFoundError is a UserErrorException.
_STATUSES: tuple[tuple[type[MlStudioError], int], ...] = (
    (NotFoundError, 404),
    (UserErrorException, 400),
    (ConflictError, 409),
    (StoreUnavailableError, 503),
    (SchemaVersionError, 500),
)


def http_status(error: MlStudioError) -> int:
    for cls, status in _STATUSES:
        if isinstance(error, cls):
            return status
    return 500
