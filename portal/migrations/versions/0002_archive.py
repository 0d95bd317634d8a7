"""Archive index: runs, segments, spans, gaps, holdings, per-camera state, on-demand fetches

Revision ID: 0002_archive
Revises: 0001_base
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision: str = "0002_archive"
down_revision: str | Sequence[str] | None = "0001_base"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = portal.models.base.UTCDateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _range_table(name: str, *extra: sa.Column | sa.Constraint) -> None:
    op.create_table(
        name,
        sa.Column("id", BigId, nullable=False),
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("start", UTC, nullable=False),
        sa.Column("end", UTC, nullable=False),
        *extra,
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )


def upgrade() -> None:
    op.create_table(
        "archive_runs",
        sa.Column("id", BigId, nullable=False),
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("init_key", sa.String(length=300), nullable=False),
        sa.Column("init_sha256", sa.String(length=64), nullable=False),
        sa.Column("init_bytes", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_archive_runs_camera_id_cameras"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_runs")),
        sa.UniqueConstraint("camera_id", "run_id", name=op.f("uq_archive_runs_camera_id")),
    )
    op.create_index(op.f("ix_archive_runs_camera_id"), "archive_runs", ["camera_id"], unique=False)

    op.create_table(
        "archive_segments",
        sa.Column("id", BigId, nullable=False),
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("run_pk", BigId, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("start", UTC, nullable=False),
        sa.Column("end", UTC, nullable=False),
        sa.Column("duration", sa.Float(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("object_key", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("clock_synced", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_pk"], ["archive_runs.id"], name=op.f("fk_archive_segments_run_pk_archive_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_segments")),
        sa.UniqueConstraint("run_pk", "seq", name=op.f("uq_archive_segments_run_pk")),
    )
    op.create_index("ix_archive_segments_camera_start", "archive_segments", ["camera_id", "start"], unique=False)
    op.create_index("ix_archive_segments_camera_end", "archive_segments", ["camera_id", "end"], unique=False)

    _range_table("archive_spans")
    op.create_index("ix_archive_spans_camera_start", "archive_spans", ["camera_id", "start"], unique=False)

    _range_table(
        "archive_gaps",
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.UniqueConstraint("camera_id", "start", "reason", name=op.f("uq_archive_gaps_camera_id")),
    )
    op.create_index("ix_archive_gaps_camera_end", "archive_gaps", ["camera_id", "end"], unique=False)

    _range_table("archive_holdings")
    op.create_index("ix_archive_holdings_camera_start", "archive_holdings", ["camera_id", "start"], unique=False)

    op.create_table(
        "archive_cameras",
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("last_segment_start", UTC, nullable=True),
        sa.Column("last_segment_end", UTC, nullable=True),
        sa.Column("last_upload_at", UTC, nullable=True),
        sa.Column("holdings_reported_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_archive_cameras_camera_id_cameras"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("camera_id", name=op.f("pk_archive_cameras")),
    )

    _range_table(
        "archive_fetches",
        sa.Column("requested_at", UTC, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
    )
    op.create_index("ix_archive_fetches_camera_start", "archive_fetches", ["camera_id", "start"], unique=False)


def downgrade() -> None:
    for table in (
        "archive_fetches",
        "archive_cameras",
        "archive_holdings",
        "archive_gaps",
        "archive_spans",
        "archive_segments",
        "archive_runs",
    ):
        op.drop_table(table)
