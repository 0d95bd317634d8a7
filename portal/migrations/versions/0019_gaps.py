"""ledger entries keep their contract id without a foreign key (accrual speed; the ledger outlives rows)

Revision ID: 0019_gaps
Revises: 0013_notify; depends on 0010_billing (ledger_entries)

The foreign key's per-row check (a trigger: one lookup + FOR KEY SHARE lock of the contract per entry) was a
third of the daily accrual of 100,000 contracts (tests/bench/bench_billing_accrual.py). Every ledger write
already goes through the contract's billing row, locked in the same transaction, which references the contract
(docs/billing.md); and money entries must not vanish with a contract (no ON DELETE CASCADE of the ledger).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019_gaps"
down_revision: str | Sequence[str] | None = "0013_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0010_billing"

FK = "fk_ledger_entries_contract_id_contracts"


def upgrade() -> None:
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_constraint(FK, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_foreign_key(FK, "contracts", ["contract_id"], ["id"], ondelete="CASCADE")
