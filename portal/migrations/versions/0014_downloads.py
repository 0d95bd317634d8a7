"""downloads: each media segment's sample table in the index (progressive MP4 layout without reading media);
share links to one clip and their access log; keyframe thumbnails

Revision ID: 0014_downloads
Revises: 0013_notify
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision: str = "0014_downloads"
down_revision: str | Sequence[str] | None = "0013_notify"
branch_labels: str | Sequence[str] | None = None
# archive_segments (0002); cameras (0003) and contracts (0004) come with 0013_notify
depends_on: str | Sequence[str] | None = "0002_archive"

UTC = portal.models.base.UTCDateTime()


def upgrade() -> None:
    # NULL for segments stored before: filled lazily by the first download that needs them.
    with op.batch_alter_table("archive_segments") as batch:
        batch.add_column(sa.Column("sample_table", sa.LargeBinary(), nullable=True))
    op.create_table(
        "archive_thumbnails",
        sa.Column("segment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("jpeg", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["archive_segments.id"],
            name=op.f("fk_archive_thumbnails_segment_id_archive_segments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("segment_id", name=op.f("pk_archive_thumbnails")),
    )
    op.create_table(
        "clip_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("start", UTC, nullable=False),
        sa.Column("end", UTC, nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("revoked_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_clip_shares_camera_id_cameras"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_clip_shares_contract_id_contracts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clip_shares")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_clip_shares_token_hash")),
    )
    op.create_index(op.f("ix_clip_shares_camera_id"), "clip_shares", ["camera_id"])
    op.create_index(op.f("ix_clip_shares_contract_id"), "clip_shares", ["contract_id"])
    op.create_table(
        "clip_share_accesses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("share_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("what", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.String(300), nullable=False),
        sa.Column("byte_range", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["share_id"],
            ["clip_shares.id"],
            name=op.f("fk_clip_share_accesses_share_id_clip_shares"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clip_share_accesses")),
    )
    op.create_index("ix_clip_share_accesses_share_at", "clip_share_accesses", ["share_id", "at"])


def downgrade() -> None:
    op.drop_table("clip_share_accesses")
    op.drop_table("clip_shares")
    op.drop_table("archive_thumbnails")
    with op.batch_alter_table("archive_segments") as batch:
        batch.drop_column("sample_table")
