"""The exception tree of jupyter_mlstudio.

::

    MlStudioError                      anything this package raises on purpose
    ├── UserErrorException             bad input: say what was wrong and how to fix it
    │   ├── ValidationError            a value of the wrong type or shape
    │   ├── SnapshotTooLargeError      a source directory over the size limit
    │   └── NotFoundError              something named that does not exist
    │       ├── WorkspaceNotFoundError
    │       ├── ExperimentNotFoundError
    │       ├── RunNotFoundError
    │       ├── ArtifactNotFoundError
    │       ├── EnvironmentNotFoundError
    │       ├── ComputeTargetException  (name kept from azureml.core.compute)
    │       ├── DatastoreNotFoundError
    │       └── ModelNotFoundError
    ├── ConflictError                  the request clashes with what is stored
    ├── SchemaVersionError             the database was written by a newer jupyter_mlstudio
    ├── StoreUnavailableError          the metadata database cannot be reached
    └── ActivityFailedException        a run ended Failed (``wait_for_completion`` raises it)

Errors raised by user code (a training script, a notebook cell) are never wrapped in these:
they end the run Failed and are reported through ``ActivityFailedException`` with the
script's own error text.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ActivityFailedException",
    "ArtifactNotFoundError",
    "ComputeTargetException",
    "ConflictError",
    "DatastoreNotFoundError",
    "EnvironmentNotFoundError",
    "ExperimentNotFoundError",
    "MlStudioError",
    "ModelNotFoundError",
    "NotFoundError",
    "RunNotFoundError",
    "SchemaVersionError",
    "SnapshotTooLargeError",
    "StoreUnavailableError",
    "UserErrorException",
    "ValidationError",
    "WorkspaceNotFoundError",
]


class MlStudioError(Exception):
    """Base of every error jupyter_mlstudio raises on purpose.

    ``message`` says what went wrong in the user's terms; ``hint`` says what to do about it.
    Structured fields (``run_id``, ``name``...) are kept as attributes for callers such as
    the REST layer, which maps error classes to HTTP statuses without reading the text.
    """

    def __init__(self, message: str, *, hint: str | None = None, **fields: Any) -> None:
        self.message = message
        self.hint = hint
        self.fields = fields
        for key, value in fields.items():
            setattr(self, key, value)
        super().__init__(f"{message} {hint}" if hint else message)


class UserErrorException(MlStudioError):
    """The input was wrong; the message says how to put it right."""


class ValidationError(UserErrorException):
    """A value has the wrong type, shape or range."""


class SnapshotTooLargeError(UserErrorException):
    """A run's source directory is over the snapshot limit."""


class NotFoundError(UserErrorException):
    """Something named does not exist."""


class WorkspaceNotFoundError(NotFoundError):
    """No workspace with that name or config file."""


class ExperimentNotFoundError(NotFoundError):
    """No experiment with that name."""


class RunNotFoundError(NotFoundError):
    """No run with that id."""


class ArtifactNotFoundError(NotFoundError):
    """No file with that name in a run's artifacts."""


class EnvironmentNotFoundError(NotFoundError):
    """No registered environment with that name or version."""


class ComputeTargetException(NotFoundError):
    """No compute target with that name (the azureml name for this error)."""


class DatastoreNotFoundError(NotFoundError):
    """No datastore with that name."""


class ModelNotFoundError(NotFoundError):
    """No registered model with that name or version."""


class ConflictError(MlStudioError):
    """The request clashes with what is already stored (a name taken, a property set)."""


class SchemaVersionError(MlStudioError):
    """The metadata database has a schema newer than this version of jupyter_mlstudio."""


class StoreUnavailableError(MlStudioError):
    """The metadata database could not be reached or stayed locked too long."""


class ActivityFailedException(MlStudioError):
    """A run ended Failed or Canceled; ``run_id`` and ``error`` say which and why."""
