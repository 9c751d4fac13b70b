"""Errors of the endpoint layer, under the package's tree (``jupyter_mlstudio.errors``).

``WebserviceException`` keeps azureml's name, so ``except WebserviceException`` idioms work.
"""

from __future__ import annotations

from jupyter_mlstudio.errors import MlStudioError, NotFoundError

__all__ = ["ScoringInputError", "WebserviceException", "WebserviceNotFoundError"]


class WebserviceException(MlStudioError):
    """An endpoint could not be deployed, reached or changed; ``name`` says which."""


class WebserviceNotFoundError(WebserviceException, NotFoundError):
    """No endpoint with that name in the workspace."""


class ScoringInputError(MlStudioError):
    """A request body that does not fit the endpoint's input schema (answered with 422).

    Raised inside the scoring process only; ``status`` is the HTTP status it maps to.
    """

    status = 422
