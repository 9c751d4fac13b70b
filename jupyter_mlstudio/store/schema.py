"""Table definitions of the metadata database (SQLAlchemy Core).

Only the store package reads these; the rest of jupyter_mlstudio sees the entities in
``entities.py``. Changing a table here needs a new Alembic revision in ``migrations/versions``.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

workspace = Table(
    "workspace",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("created_at", Double, nullable=False),
    Column("properties", Text, nullable=False, default="{}"),
)

experiments = Table(
    "experiments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("created_at", Double, nullable=False),
    Column("archived", Boolean, nullable=False, default=False),
    Column("tags", Text, nullable=False, default="{}"),
    Column("run_counter", Integer, nullable=False, default=0),
)

runs = Table(
    "runs",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(255), nullable=False, unique=True),
    Column("experiment_id", Integer, ForeignKey("experiments.id"), nullable=False),
    Column("parent_run_id", String(255), nullable=True, index=True),
    Column("number", Integer, nullable=False),
    Column("name", String(255), nullable=True),
    Column("display_name", String(255), nullable=True),
    Column("run_type", String(64), nullable=False),
    Column("status", String(32), nullable=False),
    Column("target", String(255), nullable=True),
    Column("created_at", Double, nullable=False),
    Column("started_at", Double, nullable=True),
    Column("ended_at", Double, nullable=True),
    Column("heartbeat_at", Double, nullable=True),
    Column("pid", Integer, nullable=True),
    Column("host", String(255), nullable=True),
    Column("pid_started_at", Double, nullable=True),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    Column("error", Text, nullable=True),
    Column("definition", Text, nullable=False, default="{}"),
    Index("ix_runs_experiment_created", "experiment_id", "created_at"),
    Index("ix_runs_status", "status"),
)


def _key_value_table(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("run_pk", Integer, ForeignKey("runs.pk", ondelete="CASCADE"), primary_key=True),
        Column("key", String(255), primary_key=True),
        Column("value", Text, nullable=False),
    )


run_tags = _key_value_table("run_tags")
run_properties = _key_value_table("run_properties")
run_params = _key_value_table("run_params")

metrics = Table(
    "metrics",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_pk", Integer, ForeignKey("runs.pk", ondelete="CASCADE"), nullable=False),
    Column("key", String(255), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("step", Integer, nullable=False),
    Column("value", Double, nullable=True),
    Column("payload", Text, nullable=True),
    Column("timestamp", Double, nullable=False),
    Index("ix_metrics_run_key_step", "run_pk", "key", "step"),
)

latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("run_pk", Integer, ForeignKey("runs.pk", ondelete="CASCADE"), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("step", Integer, nullable=False),
    Column("value", Double, nullable=True),
    Column("payload", Text, nullable=True),
    Column("timestamp", Double, nullable=False),
    Column("count", Integer, nullable=False, default=1),
)

environments = Table(
    "environments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False),
    Column("version", Integer, nullable=False),
    Column("definition", Text, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("name", "version", name="uq_environments_name_version"),
)

compute_targets = Table(
    "compute_targets",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("type", String(64), nullable=False),
    Column("config", Text, nullable=False, default="{}"),
    Column("max_concurrency", Integer, nullable=False),
    Column("provisioning_state", String(32), nullable=False),
    Column("created_at", Double, nullable=False),
)

datastores = Table(
    "datastores",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("type", String(64), nullable=False),
    Column("root", Text, nullable=False),
    Column("options", Text, nullable=False, default="{}"),
    Column("is_default", Boolean, nullable=False, default=False),
    Column("created_at", Double, nullable=False),
)

models = Table(
    "models",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False),
    Column("version", Integer, nullable=False),
    Column("run_id", String(255), nullable=True, index=True),
    Column("artifact_path", Text, nullable=False),
    Column("description", Text, nullable=True),
    Column("framework", String(64), nullable=True),
    Column("framework_version", String(64), nullable=True),
    Column("tags", Text, nullable=False, default="{}"),
    Column("properties", Text, nullable=False, default="{}"),
    Column("datasets", Text, nullable=False, default="[]"),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("name", "version", name="uq_models_name_version"),
)

datasets = Table(
    "datasets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False),
    Column("version", Integer, nullable=False),
    Column("kind", String(32), nullable=False),  # tabular | file
    Column("definition", Text, nullable=False),  # paths, reading options, transformations
    Column("fingerprint", String(64), nullable=False),
    Column("description", Text, nullable=True),
    Column("tags", Text, nullable=False, default="{}"),
    Column("profile", Text, nullable=True),
    Column("schema_change", Text, nullable=True),
    Column("created_at", Double, nullable=False),
    UniqueConstraint("name", "version", name="uq_datasets_name_version"),
)

# Which dataset versions a run read (role "input") or wrote (role "output").
run_datasets = Table(
    "run_datasets",
    metadata,
    Column("run_pk", Integer, ForeignKey("runs.pk", ondelete="CASCADE"), primary_key=True),
    Column("dataset_id", Integer, ForeignKey("datasets.id"), primary_key=True),
    Column("role", String(16), primary_key=True),
    Column("input_name", String(255), primary_key=True),
    Column("mode", String(32), nullable=False),
)

# ---- endpoints (issue 4) ---------------------------------------------------------------------
# A real-time endpoint: one supervisor process on ``host`` listening on ``port``.
endpoints = Table(
    "endpoints",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("compute_type", String(32), nullable=False),  # Local | ACI | AKS
    Column("compute_target", String(255), nullable=True),
    Column("state", String(32), nullable=False),  # Transitioning | Healthy | Unhealthy | Failed
    Column("auth_enabled", Boolean, nullable=False),
    Column("host", String(255), nullable=True),
    Column("port", Integer, nullable=True),
    Column("pid", Integer, nullable=True),
    Column("pid_started_at", Double, nullable=True),
    Column("runtime_dir", Text, nullable=False),
    Column("config", Text, nullable=False, default="{}"),  # deploy + inference configuration
    Column("description", Text, nullable=True),
    Column("tags", Text, nullable=False, default="{}"),
    Column("error", Text, nullable=True),
    Column("created_at", Double, nullable=False),
    Column("updated_at", Double, nullable=False),
)

# Deployments of an endpoint (one for a v1 Webservice; two for blue/green), with their share.
endpoint_deployments = Table(
    "endpoint_deployments",
    metadata,
    Column(
        "endpoint_name",
        String(255),
        ForeignKey("endpoints.name", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("name", String(255), primary_key=True),
    Column("traffic", Integer, nullable=False),
    Column("generation", Integer, nullable=False),
    Column("config", Text, nullable=False, default="{}"),
    Column("created_at", Double, nullable=False),
)

# Which model versions a deployment serves now (a model in use here cannot be deleted).
endpoint_models = Table(
    "endpoint_models",
    metadata,
    Column("endpoint_name", String(255), primary_key=True),
    Column("deployment", String(255), primary_key=True),
    Column("model_name", String(255), primary_key=True),
    Column("model_version", Integer, primary_key=True),
    Index("ix_endpoint_models_model", "model_name", "model_version"),
)

# Keys: a SHA-256 digest to check requests, and the key sealed with the workspace secret.
endpoint_keys = Table(
    "endpoint_keys",
    metadata,
    Column(
        "endpoint_name",
        String(255),
        ForeignKey("endpoints.name", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("slot", String(16), primary_key=True),  # primary | secondary
    Column("digest", String(64), nullable=False),
    Column("sealed", Text, nullable=False),
    Column("created_at", Double, nullable=False),
)

# Who registered, tagged, deployed or retired which model version, and when.
registry_audit = Table(
    "registry_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Double, nullable=False),
    Column("actor", String(255), nullable=False),
    Column("action", String(32), nullable=False),
    Column("model_name", String(255), nullable=True),
    Column("model_version", Integer, nullable=True),
    Column("endpoint_name", String(255), nullable=True),
    Column("details", Text, nullable=False, default="{}"),
    Index("ix_registry_audit_model", "model_name", "model_version"),
    Index("ix_registry_audit_endpoint", "endpoint_name", "at"),
)

# Published pipelines: the whole graph (steps, parameters, snapshot references) as JSON,
# so a later submit runs exactly what was published.
published_pipelines = Table(
    "published_pipelines",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("version", String(64), nullable=True),
    Column("description", Text, nullable=True),
    Column("graph", Text, nullable=False),
    Column("status", String(16), nullable=False),  # Active | Disabled
    Column("source_run_id", String(255), nullable=True),
    Column("created_at", Double, nullable=False),
    Index("ix_published_pipelines_name", "name"),
)

pipeline_endpoints = Table(
    "pipeline_endpoints",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("description", Text, nullable=True),
    Column("pipelines", Text, nullable=False, default="[]"),  # published ids, version order
    Column("default_version", Integer, nullable=False, default=0),
    Column("status", String(16), nullable=False),
    Column("created_at", Double, nullable=False),
)

schedules = Table(
    "schedules",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("pipeline_id", String(64), nullable=False),
    Column("experiment_name", String(255), nullable=False),
    Column("recurrence", Text, nullable=False),  # {"cron": ...} with the time zone
    Column("parameters", Text, nullable=False, default="{}"),
    Column("description", Text, nullable=True),
    Column("status", String(16), nullable=False),  # Active | Disabled
    Column("next_fire_at", Double, nullable=True),
    Column("last_fired_at", Double, nullable=True),
    Column("last_run_id", String(255), nullable=True),
    Column("missed", Text, nullable=False, default="[]"),  # firings found missed, reported
    Column("created_at", Double, nullable=False),
)
