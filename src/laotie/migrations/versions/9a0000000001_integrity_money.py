"""integrity money: issue 9 items 1-3, 5-7, 17 (branch pay)

Per-line after-sales guards (refunded money, returned units, the lowest price 七天保价 compensated),
filled from the cases already refunded; how far a sandbox parcel's timeline was moved ahead.

Revision ID: 9a0000000001
Revises: 3bdc3b0217d0
Create Date: 2026-12-07 00:45:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '9a0000000001'
down_revision: str | None = '3bdc3b0217d0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _backfill_lines() -> None:
    """What every refunded case already took off its lines, so the new guards start exact."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT kind, lines FROM aftersales_case WHERE status = 'refunded'")
    ).fetchall()
    money: dict[int, int] = {}
    units: dict[int, int] = {}
    lowest: dict[int, int] = {}
    for kind, raw in rows:
        items = json.loads(raw) if isinstance(raw, str) else (raw or [])
        for item in items:
            line_id = int(item["line_id"])
            money[line_id] = money.get(line_id, 0) + int(item.get("amount_fen", 0))
            units[line_id] = units.get(line_id, 0) + int(item.get("units", 0))
            if kind == "price_protection" and item.get("lowest_price_fen") is not None:
                price = int(item["lowest_price_fen"])
                lowest[line_id] = min(price, lowest.get(line_id, price))
    # A full return's shipping rides on its first line in the case: the caps keep it off the line.
    update = sa.text(
        "UPDATE orders_line SET "
        "refunded_fen = CASE WHEN :m > line_total_fen - discount_fen "
        "THEN line_total_fen - discount_fen ELSE :m END, "
        "returned_units = CASE WHEN :u > quantity THEN quantity ELSE :u END, "
        "protected_price_fen = :p WHERE id = :id"
    )
    for line_id in sorted(money):
        bind.execute(update, {"m": money[line_id], "u": units.get(line_id, 0), "p": lowest.get(line_id), "id": line_id})


def upgrade() -> None:
    with op.batch_alter_table('orders_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refunded_fen', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('returned_units', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('protected_price_fen', sa.BigInteger(), nullable=True))
    _backfill_lines()
    with op.batch_alter_table('logistics_shipment', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('sandbox_shift_seconds', sa.BigInteger(), server_default='0', nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('logistics_shipment', schema=None) as batch_op:
        batch_op.drop_column('sandbox_shift_seconds')
    with op.batch_alter_table('orders_line', schema=None) as batch_op:
        batch_op.drop_column('protected_price_fen')
        batch_op.drop_column('returned_units')
        batch_op.drop_column('refunded_fen')
