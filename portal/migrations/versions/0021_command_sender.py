"""device_commands.sent_by: who sent each command (an operator, a subscriber's app, or a portal job)

Revision ID: 0021_command_sender
Revises: 0020_lightlive, depends on 0003_fleet (device_commands)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_command_sender"
down_revision: str | Sequence[str] | None = "0020_lightlive"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0003_fleet"


def upgrade() -> None:
    with op.batch_alter_table("device_commands") as batch:
        batch.add_column(sa.Column("sent_by", sa.String(100), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("device_commands") as batch:
        batch.drop_column("sent_by")
