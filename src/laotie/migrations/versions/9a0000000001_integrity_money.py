"""integrity money: issue 9 items 1-3, 5-7, 17 (branch pay)

Reserved in the chain so that branches built side by side merge without re-chaining; an empty
step until its branch fills it.

Revision ID: 9a0000000001
Revises: 3bdc3b0217d0
Create Date: 2026-12-07 00:45:00
"""

from collections.abc import Sequence

revision: str = '9a0000000001'
down_revision: str | None = '3bdc3b0217d0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
