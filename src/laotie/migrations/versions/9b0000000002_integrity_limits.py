"""integrity limits: issue 9 items 4, 8-16 (branch hard)

Reserved in the chain so that branches built side by side merge without re-chaining; an empty
step until its branch fills it.

Revision ID: 9b0000000002
Revises: 9a0000000001
Create Date: 2026-12-07 00:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '9b0000000002'
down_revision: str | None = '9a0000000001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Item 8: evidence uploads are counted per person per hour.
    with op.batch_alter_table('aftersales_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aftersales_evidence_uploaded_by'), ['uploaded_by'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('aftersales_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aftersales_evidence_uploaded_by'))
