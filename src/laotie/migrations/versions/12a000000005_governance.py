"""governance: issue 12 rules, reports, cases, penalties, appeals (branch gov)

Reserved in the chain so that branches built side by side merge without re-chaining; an empty
step until its branch fills it.

Revision ID: 12a000000005
Revises: 11b000000004
Create Date: 2026-12-07 00:45:00
"""

from collections.abc import Sequence

revision: str = '12a000000005'
down_revision: str | None = '11b000000004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
