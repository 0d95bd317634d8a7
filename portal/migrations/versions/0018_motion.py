"""motion events from the boxes (start, end, thumbnail), indexed per camera

Revision ID: 0018_motion
Revises: 0013_notify, depends on 0003_fleet (devices, cameras)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision: str = "0018_motion"
down_revision: str | Sequence[str] | None = "0013_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0003_fleet"

UTC = portal.models.base.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        "motion_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("device_id", sa.String(64), nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("motion_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("start", UTC, nullable=False),
        sa.Column("end", UTC, nullable=True),
        sa.Column("peak_area", sa.Float(), nullable=False),
        sa.Column("thumbnail", sa.LargeBinary(), nullable=True),
        sa.Column("received_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["camera_id"], ["cameras.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("device_id", "motion_id"),
    )
    op.create_index("motion_events_camera_start", "motion_events", ["camera_id", "start"])


def downgrade() -> None:
    op.drop_index("motion_events_camera_start", table_name="motion_events")
    op.drop_table("motion_events")
