"""billing: tariffs, contract billing accounts, ledger, settings, promised payments, offers, retention overrides

Revision ID: 0010_billing
Revises: 0001_base
"""

from collections.abc import Sequence
from datetime import UTC as UTC_ZONE
from datetime import datetime

import sqlalchemy as sa
from alembic import op

import portal.models.base

revision: str = "0010_billing"
down_revision: str | Sequence[str] | None = "0001_base"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = portal.models.base.UTCDateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "tariffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("monthly_price_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("archive_days", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("switchable", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariffs")),
    )
    op.create_table(
        "contract_billing",
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("tariff_id", sa.Integer(), nullable=True),
        sa.Column("pending_tariff_id", sa.Integer(), nullable=True),
        sa.Column("pending_from", sa.Date(), nullable=True),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("balance_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("negative_since", UTC, nullable=True),
        sa.Column("accrued_through", sa.Date(), nullable=True),
        sa.Column("discount_percent", sa.Integer(), nullable=False),
        sa.Column("discount_tariff_id", sa.Integer(), nullable=True),
        sa.Column("discount_until", sa.Date(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_contract_billing_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["tariff_id"], ["tariffs.id"], name=op.f("fk_contract_billing_tariff_id_tariffs")),
        sa.ForeignKeyConstraint(
            ["pending_tariff_id"], ["tariffs.id"], name=op.f("fk_contract_billing_pending_tariff_id_tariffs")
        ),
        sa.ForeignKeyConstraint(
            ["discount_tariff_id"], ["tariffs.id"], name=op.f("fk_contract_billing_discount_tariff_id_tariffs")
        ),
        sa.PrimaryKeyConstraint("contract_id", name=op.f("pk_contract_billing")),
    )
    op.create_index(op.f("ix_contract_billing_tariff_id"), "contract_billing", ["tariff_id"])
    op.create_index(op.f("ix_contract_billing_accrued_through"), "contract_billing", ["accrued_through"])
    op.create_table(
        "ledger_entries",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("balance_after_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_ledger_entries_contract_id_contracts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_ledger_entries_idempotency_key")),
    )
    op.create_index(op.f("ix_ledger_entries_contract_id"), "ledger_entries", ["contract_id"])
    op.create_index(op.f("ix_ledger_entries_at"), "ledger_entries", ["at"])
    op.create_table(
        "billing_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column("switch_mode", sa.String(length=16), nullable=False),
        sa.Column("promised_enabled", sa.Boolean(), nullable=False),
        sa.Column("promised_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_settings")),
    )
    settings = sa.table(
        "billing_settings",
        *(sa.column(name) for name in ("id", "grace_days", "switch_mode", "promised_enabled", "promised_days")),
        sa.column("updated_at", UTC),
        sa.column("updated_by"),
    )
    op.bulk_insert(
        settings,
        [
            {
                "id": 1,
                "grace_days": 3,
                "switch_mode": "next_day",
                "promised_enabled": True,
                "promised_days": 5,
                "updated_at": datetime.now(UTC_ZONE),
                "updated_by": "",
            }
        ],
    )
    op.create_table(
        "promised_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("amount_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("granted_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("expired_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_promised_payments_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promised_payments")),
        sa.UniqueConstraint("contract_id", "month", name=op.f("uq_promised_payments_contract_id")),
    )
    op.create_index(op.f("ix_promised_payments_contract_id"), "promised_payments", ["contract_id"])
    op.create_index(op.f("ix_promised_payments_expires_at"), "promised_payments", ["expires_at"])
    op.create_table(
        "offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("tariff_id", sa.Integer(), nullable=True),
        sa.Column("discount_percent", sa.Integer(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("bonus_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["tariff_id"], ["tariffs.id"], name=op.f("fk_offers_tariff_id_tariffs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
    )
    op.create_table(
        "offer_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_offer_targets_offer_id_offers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_offer_targets_contract_id_contracts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["address_id"], ["addresses.id"], name=op.f("fk_offer_targets_address_id_addresses"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offer_targets")),
    )
    op.create_index(op.f("ix_offer_targets_offer_id"), "offer_targets", ["offer_id"])
    op.create_index(op.f("ix_offer_targets_contract_id"), "offer_targets", ["contract_id"])
    op.create_index(op.f("ix_offer_targets_address_id"), "offer_targets", ["address_id"])
    op.create_table(
        "offer_acceptances",
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("accepted_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"], ["offers.id"], name=op.f("fk_offer_acceptances_offer_id_offers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_offer_acceptances_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("offer_id", "contract_id", name=op.f("pk_offer_acceptances")),
    )
    op.create_table(
        "camera_retention_overrides",
        sa.Column("camera_id", sa.String(length=64), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column("set_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_camera_retention_overrides_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("camera_id", name=op.f("pk_camera_retention_overrides")),
    )


def downgrade() -> None:
    for table in (
        "camera_retention_overrides",
        "offer_acceptances",
        "offer_targets",
        "offers",
        "promised_payments",
        "billing_settings",
        "ledger_entries",
        "contract_billing",
        "tariffs",
    ):
        op.drop_table(table)
