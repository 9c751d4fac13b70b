"""Pipelines (azureml.pipeline): DAGs of script and notebook steps connected by data.

``pipeline.core`` holds the graph (Pipeline, PipelineData, PipelineParameter), runs,
published pipelines and schedules; ``pipeline.steps`` the step kinds. A pipeline is plain
data; its runs are driven by a controller process of their own (``_controller``).
"""
