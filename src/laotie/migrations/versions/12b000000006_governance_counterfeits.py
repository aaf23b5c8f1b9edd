"""governance counterfeits: issue 12 brands, counterfeit refunds, inspections, crackdowns (branch fakes)

Reserved in the chain so that branches built side by side merge without re-chaining; an empty
step until its branch fills it.

Revision ID: 12b000000006
Revises: 12a000000005
Create Date: 2026-12-07 00:45:00
"""

from collections.abc import Sequence

revision: str = '12b000000006'
down_revision: str | None = '12a000000005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
