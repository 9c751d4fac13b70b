"""Pipeline graphs, runs, publishing and schedules (azureml.pipeline.core)."""

from jupyter_mlstudio.pipeline.core.graph import Diagnostic, PipelineValidationError
from jupyter_mlstudio.pipeline.core.graph_data import (
    OutputPortBinding,
    PipelineData,
    PipelineParameter,
)
from jupyter_mlstudio.pipeline.core.pipeline import Pipeline
from jupyter_mlstudio.pipeline.core.published import PipelineEndpoint, PublishedPipeline
from jupyter_mlstudio.pipeline.core.run import PipelineRun, PortDataReference, StepRun
from jupyter_mlstudio.pipeline.core.schedule import Schedule, ScheduleRecurrence, TimeZone
from jupyter_mlstudio.pipeline.steps.base import PipelineStep

__all__ = [
    "Diagnostic",
    "OutputPortBinding",
    "Pipeline",
    "PipelineData",
    "PipelineEndpoint",
    "PipelineParameter",
    "PipelineRun",
    "PipelineStep",
    "PipelineValidationError",
    "PortDataReference",
    "PublishedPipeline",
    "Schedule",
    "ScheduleRecurrence",
    "StepRun",
    "TimeZone",
]
