"""published pipelines, pipeline endpoints, schedules

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 19:00:39.075080
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pipeline_endpoints",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("pipelines", sa.Text(), nullable=False),
        sa.Column("default_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "published_pipelines",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("graph", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source_run_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("published_pipelines", schema=None) as batch_op:
        batch_op.create_index("ix_published_pipelines_name", ["name"], unique=False)

    op.create_table(
        "schedules",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("pipeline_id", sa.String(length=64), nullable=False),
        sa.Column("experiment_name", sa.String(length=255), nullable=False),
        sa.Column("recurrence", sa.Text(), nullable=False),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("next_fire_at", sa.Double(), nullable=True),
        sa.Column("last_fired_at", sa.Double(), nullable=True),
        sa.Column("last_run_id", sa.String(length=255), nullable=True),
        sa.Column("missed", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("schedules")
    with op.batch_alter_table("published_pipelines", schema=None) as batch_op:
        batch_op.drop_index("ix_published_pipelines_name")

    op.drop_table("published_pipelines")
    op.drop_table("pipeline_endpoints")
