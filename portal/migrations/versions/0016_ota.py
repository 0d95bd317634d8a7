"""OTA: uploaded bundles, rollouts, per-box targets

Revision ID: 0016_ota
Revises: 0013_notify (chain), depends on 0003_fleet (devices)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision: str = "0016_ota"
down_revision: str | Sequence[str] | None = "0013_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0003_fleet"

UTC = portal.models.base.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        "ota_bundles",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("min_from", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("object_key", sa.String(200), nullable=False),
        sa.Column("uploaded_by", sa.String(200), nullable=False),
        sa.Column("uploaded_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_ota_bundles")),
        sa.UniqueConstraint("version", name=op.f("uq_ota_bundles_version")),
    )
    op.create_table(
        "ota_rollouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("paused_reason", sa.String(500), nullable=False),
        sa.Column("waves", sa.Integer(), nullable=False),
        sa.Column("wave", sa.Integer(), nullable=False),
        sa.Column("threshold_percent", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["sha256"], ["ota_bundles.sha256"], name=op.f("fk_ota_rollouts_sha256_ota_bundles")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ota_rollouts")),
    )
    op.create_index(op.f("ix_ota_rollouts_sha256"), "ota_rollouts", ["sha256"])
    op.create_table(
        "ota_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rollout_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("wave", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["rollout_id"], ["ota_rollouts.id"], name=op.f("fk_ota_targets_rollout_id_ota_rollouts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name=op.f("fk_ota_targets_device_id_devices"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ota_targets")),
        sa.UniqueConstraint("rollout_id", "device_id", name=op.f("uq_ota_targets_rollout_id")),
    )
    op.create_index(op.f("ix_ota_targets_rollout_id"), "ota_targets", ["rollout_id"])
    op.create_index(op.f("ix_ota_targets_device_id"), "ota_targets", ["device_id"])


def downgrade() -> None:
    op.drop_table("ota_targets")
    op.drop_table("ota_rollouts")
    op.drop_table("ota_bundles")
