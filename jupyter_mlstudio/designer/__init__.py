"""The designer: ``.mlpipeline`` documents of notebook components, validated, compiled to
pipelines, converted to inference pipelines and deployed as real-time endpoints.

The canvas (and the REST layer under it) uses the same functions as the SDK:
:func:`validate` returns JSON-able problems, :func:`compile_document` the pipeline steps.
"""

from jupyter_mlstudio.designer.compiler import CompiledPipeline, compile_document, load_pipeline
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

__all__ = [
    "FORMAT_VERSION",
    "CompiledPipeline",
    "Component",
    "ComponentLibrary",
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
