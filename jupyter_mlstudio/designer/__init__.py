"""The designer: ``.mlpipeline`` documents of notebook components, validated, compiled to
pipelines, converted to inference pipelines and deployed as real-time endpoints.

The canvas (and the REST layer under it) uses the same functions as the SDK:
:func:`validate` returns JSON-able problems, :func:`compile_document` the pipeline steps.

Names load on first use: component notebooks import ``jupyter_mlstudio.designer.runtime``
in every step's kernel, and that must not pull in the pipeline and store machinery.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jupyter_mlstudio.designer.compiler import (
        CompiledPipeline,
        compile_document,
        load_pipeline,
    )
    from jupyter_mlstudio.designer.components import (
        Component,
        Parameter,
        Port,
        component_from_notebook,
        write_interface,
    )
    from jupyter_mlstudio.designer.deploy import deploy_inference_pipeline
    from jupyter_mlstudio.designer.document import FORMAT_VERSION, PipelineDocument
    from jupyter_mlstudio.designer.inference import create_inference_pipeline
    from jupyter_mlstudio.designer.library import ComponentLibrary, builtin_components
    from jupyter_mlstudio.designer.validation import Problem, validate

_WHERE = {
    "CompiledPipeline": "compiler",
    "compile_document": "compiler",
    "load_pipeline": "compiler",
    "Component": "components",
    "Parameter": "components",
    "Port": "components",
    "component_from_notebook": "components",
    "write_interface": "components",
    "deploy_inference_pipeline": "deploy",
    "FORMAT_VERSION": "document",
    "PipelineDocument": "document",
    "create_inference_pipeline": "inference",
    "ComponentLibrary": "library",
    "builtin_components": "library",
    "Problem": "validation",
    "validate": "validation",
}

__all__ = [
    "CompiledPipeline",
    "Component",
    "ComponentLibrary",
    "FORMAT_VERSION",
    "Parameter",
    "PipelineDocument",
    "Port",
    "Problem",
    "builtin_components",
    "compile_document",
    "component_from_notebook",
    "create_inference_pipeline",
    "deploy_inference_pipeline",
    "load_pipeline",
    "validate",
    "write_interface",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return __all__
