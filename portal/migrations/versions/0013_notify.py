"""notification centre: one outbox of every channel, subscriptions, notices (news, important messages), reads

Revision ID: 0013_notify
Revises: 0004_cabinet (contracts), depends on 0003_fleet (cameras)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision: str = "0013_notify"
down_revision: str | Sequence[str] | None = "0004_cabinet"
branch_labels: str | Sequence[str] | None = None
# forpost_push_tokens (0005) is referenced only by id, not by a foreign key: the tokens are Forpost's.
depends_on: str | Sequence[str] | None = "0003_fleet"

UTC = portal.models.base.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        "notify_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("image_url", sa.String(500), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("published_at", UTC, nullable=False),
        sa.Column("starts_at", UTC, nullable=True),
        sa.Column("ends_at", UTC, nullable=True),
        sa.Column("target_kind", sa.String(12), nullable=False),
        sa.Column("target_value", sa.String(200), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_notices")),
    )
    op.create_index(op.f("ix_notify_notices_published_at"), "notify_notices", ["published_at"])
    op.create_table(
        "notify_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("recipient", sa.String(512), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("push_token_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC, nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=False),
        sa.Column("lease_until", UTC, nullable=True),
        sa.Column("error", sa.String(500), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("sent_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_notify_outbox_contract_id_contracts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notify_notices.id"],
            name=op.f("fk_notify_outbox_notice_id_notify_notices"),
            ondelete="SET NULL",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notify_outbox")),
    )
    op.create_index("ix_notify_outbox_due", "notify_outbox", ["status", "next_attempt_at"])
    op.create_index(op.f("ix_notify_outbox_contract_id"), "notify_outbox", ["contract_id"])
    op.create_index(op.f("ix_notify_outbox_notice_id"), "notify_outbox", ["notice_id"])
    op.create_table(
        "notify_subscriptions",
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("channels", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_notify_subscriptions_contract_id_contracts"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("contract_id", "category", name=op.f("pk_notify_subscriptions")),
    )
    for table in ("notify_notice_contracts", "notify_notice_reads"):
        extra: list[sa.Column] = [sa.Column("read_at", UTC, nullable=False)] if table == "notify_notice_reads" else []
        op.create_table(
            table,
            sa.Column("notice_id", sa.Integer(), nullable=False),
            sa.Column("contract_id", sa.Integer(), nullable=False),
            *extra,
            sa.ForeignKeyConstraint(
                ["notice_id"],
                ["notify_notices.id"],
                name=op.f(f"fk_{table}_notice_id_notify_notices"),
                ondelete="CASCADE",
            ),  # fmt: skip
            sa.ForeignKeyConstraint(
                ["contract_id"], ["contracts.id"], name=op.f(f"fk_{table}_contract_id_contracts"), ondelete="CASCADE"
            ),
            sa.PrimaryKeyConstraint("notice_id", "contract_id", name=op.f(f"pk_{table}")),
        )

    op.create_table(
        "notify_camera_alerts",
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("down_at", UTC, nullable=False),
        sa.Column("notified_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_notify_camera_alerts_camera_id_cameras"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("camera_id", name=op.f("pk_notify_camera_alerts")),
    )


def downgrade() -> None:
    op.drop_table("notify_camera_alerts")
    for table in ("notify_notice_reads", "notify_notice_contracts", "notify_subscriptions", "notify_outbox"):
        op.drop_table(table)
    op.drop_table("notify_notices")
