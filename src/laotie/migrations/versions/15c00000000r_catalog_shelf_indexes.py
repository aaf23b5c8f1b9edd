"""catalog shelf indexes: a category's and a shop's shelf in default order (issue 15)

Revision ID: 15c00000000r
Revises: 12b000000006
Create Date: 2026-12-07 08:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '15c00000000r'
down_revision: str | None = '12b000000006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('catalog_product', schema=None) as batch_op:
        batch_op.create_index(
            'ix_catalog_product_status_category_id_sales_count',
            ['status', 'category_id', 'sales_count', 'listed_at', 'id'],
            unique=False,
        )
        batch_op.create_index(
            'ix_catalog_product_shop_id_status_sales_count',
            ['shop_id', 'status', 'sales_count', 'listed_at', 'id'],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table('catalog_product', schema=None) as batch_op:
        batch_op.drop_index('ix_catalog_product_shop_id_status_sales_count')
        batch_op.drop_index('ix_catalog_product_status_category_id_sales_count')
