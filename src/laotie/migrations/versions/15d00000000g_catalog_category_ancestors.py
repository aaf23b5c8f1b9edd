"""catalog: each product's category ancestors at levels 1 and 2, indexed for the shelf; shelf indexes end with shop_id (issue 15)

A category branch's shelf page is read in order from one index range at any catalogue size, where
``category_id IN (leaves)`` sorted the whole branch. The copies are backfilled here from the tree
(computed in Python from the few hundred categories, then one UPDATE per category), before the
indexes are built.

Revision ID: 15d00000000g
Revises: 15c00000000r
Create Date: 2026-12-07 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '15d00000000g'
down_revision: str | None = '15c00000000r'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.INTEGER(), 'sqlite')

# The shelf's order indexes, each ending with shop_id so a deep page skips its offset on the index
# alone (with the two new branch indexes); what they were before, for the downgrade.
_COVERED = {
    'ix_catalog_product_status_min_price_fen': ['status', 'min_price_fen', 'id', 'shop_id'],
    'ix_catalog_product_status_listed_at': ['status', 'listed_at', 'id', 'shop_id'],
    'ix_catalog_product_status_sales_count': ['status', 'sales_count', 'listed_at', 'id', 'shop_id'],
    'ix_catalog_product_status_category_id_sales_count': ['status', 'category_id', 'sales_count', 'listed_at', 'id', 'shop_id'],
    'ix_catalog_product_status_category_l1_id_sales_count': ['status', 'category_l1_id', 'sales_count', 'listed_at', 'id', 'shop_id'],
    'ix_catalog_product_status_category_l2_id_sales_count': ['status', 'category_l2_id', 'sales_count', 'listed_at', 'id', 'shop_id'],
}
_BEFORE = {
    'ix_catalog_product_status_min_price_fen': ['status', 'min_price_fen', 'id'],
    'ix_catalog_product_status_listed_at': ['status', 'listed_at', 'id'],
    'ix_catalog_product_status_sales_count': ['status', 'sales_count', 'listed_at', 'id'],
    'ix_catalog_product_status_category_id_sales_count': ['status', 'category_id', 'sales_count', 'listed_at', 'id'],
}


def _lineages(conn: sa.Connection) -> dict[int, tuple[int, ...]]:
    parent = dict(conn.execute(sa.text('SELECT id, parent_id FROM categories_category')).all())
    lineages = {}
    for cid in parent:
        ids, at = [], cid
        while at is not None and at in parent and len(ids) <= len(parent):
            ids.append(at)
            at = parent[at]
        lineages[cid] = tuple(reversed(ids))
    return lineages


def upgrade() -> None:
    # Plain ADD COLUMN (no foreign key): on SQLite that is a change of the schema alone, where a
    # batch rebuild would copy a million-row table.
    op.add_column('catalog_product', sa.Column('category_l1_id', _ID, nullable=True))
    op.add_column('catalog_product', sa.Column('category_l2_id', _ID, nullable=True))
    conn = op.get_bind()
    # One pass over the products: each row looks its category's ancestors up in a small table
    # (an UPDATE per category would scan the whole table once per category on SQLite).
    lineage = op.create_table(
        'tmp_category_lineage',
        sa.Column('category_id', _ID, primary_key=True),
        sa.Column('l1', _ID, nullable=True),
        sa.Column('l2', _ID, nullable=True),
    )
    rows = [
        {'category_id': cid, 'l1': ids[0] if ids else None, 'l2': ids[1] if len(ids) > 1 else None}
        for cid, ids in _lineages(conn).items()
    ]
    if rows:
        op.bulk_insert(lineage, rows)
    conn.execute(
        sa.text(
            'UPDATE catalog_product SET'
            ' category_l1_id = (SELECT l1 FROM tmp_category_lineage m WHERE m.category_id = catalog_product.category_id),'
            ' category_l2_id = (SELECT l2 FROM tmp_category_lineage m WHERE m.category_id = catalog_product.category_id)'
        )
    )
    op.drop_table('tmp_category_lineage')
    for name, columns in _COVERED.items():
        if name in _BEFORE:
            op.drop_index(name, table_name='catalog_product')
        op.create_index(name, 'catalog_product', columns, unique=False)


def downgrade() -> None:
    for name in _COVERED:
        op.drop_index(name, table_name='catalog_product')
        if name in _BEFORE:
            op.create_index(name, 'catalog_product', _BEFORE[name], unique=False)
    # Plain DROP COLUMN (SQLite 3.35+): a batch rebuild would drop a table other tables reference.
    op.drop_column('catalog_product', 'category_l2_id')
    op.drop_column('catalog_product', 'category_l1_id')
