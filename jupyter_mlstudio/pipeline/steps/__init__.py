"""Pipeline step kinds (azureml.pipeline.steps)."""

from jupyter_mlstudio.pipeline.steps.base import PipelineStep
from jupyter_mlstudio.pipeline.steps.notebook_step import NotebookStep
from jupyter_mlstudio.pipeline.steps.python_script_step import PythonScriptStep

__all__ = ["NotebookStep", "PipelineStep", "PythonScriptStep"]
