"""endpoints, deployments, keys and the registry audit trail

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 19:05:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "endpoints",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("compute_type", sa.String(length=32), nullable=False),
        sa.Column("compute_target", sa.String(length=255), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("auth_enabled", sa.Boolean(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("pid_started_at", sa.Double(), nullable=True),
        sa.Column("runtime_dir", sa.Text(), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "endpoint_deployments",
        sa.Column("endpoint_name", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("traffic", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["endpoint_name"], ["endpoints.name"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("endpoint_name", "name"),
    )
    op.create_table(
        "endpoint_models",
        sa.Column("endpoint_name", sa.String(length=255), nullable=False),
        sa.Column("deployment", sa.String(length=255), nullable=False),
        sa.Column("model_name", sa.String(length=255), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("endpoint_name", "deployment", "model_name", "model_version"),
    )
    op.create_index("ix_endpoint_models_model", "endpoint_models", ["model_name", "model_version"])
    op.create_table(
        "endpoint_keys",
        sa.Column("endpoint_name", sa.String(length=255), nullable=False),
        sa.Column("slot", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["endpoint_name"], ["endpoints.name"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("endpoint_name", "slot"),
    )
    op.create_table(
        "registry_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("model_name", sa.String(length=255), nullable=True),
        sa.Column("model_version", sa.Integer(), nullable=True),
        sa.Column("endpoint_name", sa.String(length=255), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_registry_audit_model", "registry_audit", ["model_name", "model_version"])
    op.create_index("ix_registry_audit_endpoint", "registry_audit", ["endpoint_name", "at"])


def downgrade() -> None:
    op.drop_index("ix_registry_audit_endpoint", table_name="registry_audit")
    op.drop_index("ix_registry_audit_model", table_name="registry_audit")
    op.drop_table("registry_audit")
    op.drop_table("endpoint_keys")
    op.drop_index("ix_endpoint_models_model", table_name="endpoint_models")
    op.drop_table("endpoint_models")
    op.drop_table("endpoint_deployments")
    op.drop_table("endpoints")
