"""downloads: each media segment's sample table in the index (progressive MP4 layout without reading media)

Revision ID: 0014_downloads
Revises: 0013_notify
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_downloads"
down_revision: str | Sequence[str] | None = "0013_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0002_archive"


def upgrade() -> None:
    # NULL for segments stored before: filled lazily by the first download that needs them.
    with op.batch_alter_table("archive_segments") as batch:
        batch.add_column(sa.Column("sample_table", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("archive_segments") as batch:
        batch.drop_column("sample_table")
