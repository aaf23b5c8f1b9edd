"""scores: issue 11 scores (branch scores)

Reserved in the chain so that branches built side by side merge without re-chaining; an empty
step until its branch fills it.

Revision ID: 11b000000004
Revises: 11a000000003
Create Date: 2026-12-07 00:45:00
"""

from collections.abc import Sequence

revision: str = '11b000000004'
down_revision: str | None = '11a000000003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
