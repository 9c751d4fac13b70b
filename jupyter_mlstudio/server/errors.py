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
    """The HTTP status that answers ``error``.

    404 for a missing thing, 400 for other user errors, 409 for a conflict, 503 when the store
    is unavailable, 500 for a schema version mismatch and for any other error.

    Parameters
    ----------
    error
        An error of jupyter_mlstudio, raised while serving a request.

    Returns
    -------
    int
        The status code; the most specific class of ``error`` decides.
    """
    for cls, status in _STATUSES:
        if isinstance(error, cls):
            return status
    return 500
