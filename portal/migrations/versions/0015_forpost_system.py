"""forpost system: clip downloads (GetDownloadURL), System API credentials, scopes, sessions and use log

Revision ID: 0015_forpost_system
Revises: 0013_notify (contracts via 0004_cabinet), depends on 0003_fleet (cameras)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision: str = "0015_forpost_system"
down_revision: str | Sequence[str] | None = "0013_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0003_fleet"


def upgrade() -> None:
    op.create_table(
        "forpost_system_operators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("rate_per_minute", sa.Integer(), nullable=False),
        sa.Column("allowed_ips", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", portal.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["operators.id"],
            name=op.f("fk_forpost_system_operators_created_by_operators"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forpost_system_operators")),
        sa.UniqueConstraint("login", name=op.f("uq_forpost_system_operators_login")),
    )
    op.create_table(
        "forpost_system_scopes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system_operator_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["addresses.id"],
            name=op.f("fk_forpost_system_scopes_address_id_addresses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_forpost_system_scopes_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["system_operator_id"],
            ["forpost_system_operators.id"],
            name=op.f("fk_forpost_system_scopes_system_operator_id_forpost_system_operators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forpost_system_scopes")),
    )
    with op.batch_alter_table("forpost_system_scopes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_forpost_system_scopes_system_operator_id"), ["system_operator_id"], unique=False
        )

    op.create_table(
        "forpost_system_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system_operator_id", sa.Integer(), nullable=True),
        sa.Column("admin_login", sa.String(length=64), nullable=False),
        sa.Column("call", sa.String(length=40), nullable=False),
        sa.Column("user_login", sa.String(length=32), nullable=False),
        sa.Column("user_ip", sa.String(length=64), nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=False),
        sa.Column("camera", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=200), nullable=False),
        sa.Column("at", portal.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["system_operator_id"],
            ["forpost_system_operators.id"],
            name=op.f("fk_forpost_system_uses_system_operator_id_forpost_system_operators"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forpost_system_uses")),
    )
    with op.batch_alter_table("forpost_system_uses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forpost_system_uses_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_forpost_system_uses_system_operator_id"), ["system_operator_id"], unique=False
        )

    op.create_table(
        "forpost_downloads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("login_session_id", sa.Integer(), nullable=True),
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("start_at", portal.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("duration", sa.Integer(), nullable=False),
        sa.Column("created_at", portal.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", portal.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_forpost_downloads_camera_id_cameras"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_forpost_downloads_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["login_session_id"],
            ["login_sessions.id"],
            name=op.f("fk_forpost_downloads_login_session_id_login_sessions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forpost_downloads")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_forpost_downloads_token_hash")),
    )
    with op.batch_alter_table("forpost_downloads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forpost_downloads_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_forpost_downloads_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "forpost_system_sessions",
        sa.Column("login_session_id", sa.Integer(), nullable=False),
        sa.Column("system_operator_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_forpost_system_sessions_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["login_session_id"],
            ["login_sessions.id"],
            name=op.f("fk_forpost_system_sessions_login_session_id_login_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["system_operator_id"],
            ["forpost_system_operators.id"],
            name=op.f("fk_forpost_system_sessions_system_operator_id_forpost_system_operators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("login_session_id", name=op.f("pk_forpost_system_sessions")),
    )
    with op.batch_alter_table("forpost_system_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_forpost_system_sessions_system_operator_id"), ["system_operator_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("forpost_system_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_forpost_system_sessions_system_operator_id"))

    op.drop_table("forpost_system_sessions")
    with op.batch_alter_table("forpost_downloads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_forpost_downloads_expires_at"))
        batch_op.drop_index(batch_op.f("ix_forpost_downloads_contract_id"))

    op.drop_table("forpost_downloads")
    with op.batch_alter_table("forpost_system_uses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_forpost_system_uses_system_operator_id"))
        batch_op.drop_index(batch_op.f("ix_forpost_system_uses_at"))

    op.drop_table("forpost_system_uses")
    with op.batch_alter_table("forpost_system_scopes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_forpost_system_scopes_system_operator_id"))

    op.drop_table("forpost_system_scopes")
    op.drop_table("forpost_system_operators")
