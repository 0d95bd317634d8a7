"""access: how each session was authenticated (password | ip); outbox codes masked, full text kept apart

Revision ID: 0006_access
Revises: 0004_cabinet
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_access"
down_revision: str | Sequence[str] | None = "0004_cabinet"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CODE = re.compile(r"\b\d{6}\b")


def upgrade() -> None:
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auth", sa.String(length=8), server_default="password", nullable=False))
    op.execute("UPDATE login_sessions SET auth = 'ip' WHERE kind = 'transparent'")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=True))
    # Codes already sent sit in plain text: mask them (they are at most minutes from useless anyway).
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, text FROM outbox_messages WHERE purpose IN ('recovery', 'contact')")
    ).fetchall()
    for row_id, text in rows:
        bind.execute(
            sa.text("UPDATE outbox_messages SET text = :t WHERE id = :i"),
            {"t": CODE.sub("••••••", text), "i": row_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("body")
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.drop_column("auth")
