"""scale-out: the MQTT consumer slots (persistent broker sessions of portal workers)

Revision ID: 0017_scale
Revises: 0013_notify
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision: str = "0017_scale"
down_revision: str | Sequence[str] | None = "0013_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = portal.models.base.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        "mqtt_consumer_slots",
        sa.Column("slot", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("client_id", sa.String(128), nullable=False),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("last_seen", UTC, nullable=False),
        sa.PrimaryKeyConstraint("slot", name=op.f("pk_mqtt_consumer_slots")),
    )


def downgrade() -> None:
    op.drop_table("mqtt_consumer_slots")
