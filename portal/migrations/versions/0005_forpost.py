"""forpost: session ip binding, camera numbers, translations, controlled devices, home mode, push tokens

Revision ID: 0005_forpost
Revises: 0001_base
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision: str = "0005_forpost"
down_revision: str | Sequence[str] | None = "0001_base"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = portal.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "forpost_sessions",
        sa.Column("login_session_id", sa.Integer(), nullable=False),
        sa.Column("bound_ip", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["login_session_id"],
            ["login_sessions.id"],
            name=op.f("fk_forpost_sessions_login_session_id_login_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("login_session_id", name=op.f("pk_forpost_sessions")),
    )
    op.create_table(
        "forpost_camera_numbers",
        sa.Column("number", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_forpost_camera_numbers_camera_id_cameras"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_forpost_camera_numbers")),
        sa.UniqueConstraint("camera_id", name=op.f("uq_forpost_camera_numbers_camera_id")),
    )
    op.create_table(
        "forpost_translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("login_session_id", sa.Integer(), nullable=True),
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("start_at", UTC, nullable=True),
        sa.Column("tz_offset", sa.Integer(), nullable=False),
        sa.Column("light", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("activated_at", UTC, nullable=True),
        sa.Column("last_access", UTC, nullable=True),
        sa.Column("closed_at", UTC, nullable=True),
        sa.Column("close_reason", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_forpost_translations_camera_id_cameras"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_forpost_translations_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["login_session_id"],
            ["login_sessions.id"],
            name=op.f("fk_forpost_translations_login_session_id_login_sessions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forpost_translations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_forpost_translations_token_hash")),
    )
    op.create_index(op.f("ix_forpost_translations_contract_id"), "forpost_translations", ["contract_id"], unique=False)
    op.create_index(op.f("ix_forpost_translations_camera_id"), "forpost_translations", ["camera_id"], unique=False)
    op.create_index(op.f("ix_forpost_translations_state"), "forpost_translations", ["state"], unique=False)
    op.create_table(
        "forpost_controlled_devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("command", sa.String(length=64), nullable=False),
        sa.Column("args_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_forpost_controlled_devices_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forpost_controlled_devices")),
    )
    op.create_index(
        op.f("ix_forpost_controlled_devices_camera_id"), "forpost_controlled_devices", ["camera_id"], unique=False
    )
    op.create_table(
        "forpost_home_modes",
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("box_result", sa.String(length=32), nullable=False),
        sa.Column("changed_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_forpost_home_modes_camera_id_cameras"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_forpost_home_modes_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("camera_id", name=op.f("pk_forpost_home_modes")),
    )
    op.create_index(op.f("ix_forpost_home_modes_contract_id"), "forpost_home_modes", ["contract_id"], unique=False)
    op.create_table(
        "forpost_push_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("login_session_id", sa.Integer(), nullable=True),
        sa.Column("device_uid", sa.String(length=128), nullable=False),
        sa.Column("device_token", sa.String(length=512), nullable=False),
        sa.Column("app_name", sa.String(length=100), nullable=False),
        sa.Column("app_version", sa.String(length=32), nullable=False),
        sa.Column("device_name", sa.String(length=200), nullable=False),
        sa.Column("device_model", sa.String(length=100), nullable=False),
        sa.Column("device_version", sa.String(length=32), nullable=False),
        sa.Column("push_badge", sa.Boolean(), nullable=False),
        sa.Column("push_alert", sa.Boolean(), nullable=False),
        sa.Column("push_sound", sa.Boolean(), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_forpost_push_tokens_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["login_session_id"],
            ["login_sessions.id"],
            name=op.f("fk_forpost_push_tokens_login_session_id_login_sessions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forpost_push_tokens")),
        sa.UniqueConstraint("contract_id", "device_uid", name=op.f("uq_forpost_push_tokens_contract_id")),
    )
    op.create_index(op.f("ix_forpost_push_tokens_contract_id"), "forpost_push_tokens", ["contract_id"], unique=False)


def downgrade() -> None:
    for table in (
        "forpost_push_tokens",
        "forpost_home_modes",
        "forpost_controlled_devices",
        "forpost_translations",
        "forpost_camera_numbers",
        "forpost_sessions",
    ):
        op.drop_table(table)
