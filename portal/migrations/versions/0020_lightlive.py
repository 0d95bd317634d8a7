"""light live view: relay leases and the relayed segments of the last minute (never archive)

Revision ID: 0020_lightlive
Revises: 0018_motion, depends on 0003_fleet (cameras)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision: str = "0020_lightlive"
down_revision: str | Sequence[str] | None = "0018_motion"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0003_fleet"

UTC = portal.models.base.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        "light_leases",
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("until", UTC, nullable=False),
        sa.Column("renewed_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["camera_id"], ["cameras.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("camera_id"),
    )
    op.create_table(
        "light_segments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("duration", sa.Float(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["camera_id"], ["cameras.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("camera_id", "run_id", "seq"),
    )
    op.create_index("light_segments_received", "light_segments", ["received_at"])


def downgrade() -> None:
    op.drop_index("light_segments_received", table_name="light_segments")
    op.drop_table("light_segments")
    op.drop_table("light_leases")
