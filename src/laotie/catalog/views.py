"""Rows to the schemas the API returns."""

from __future__ import annotations

from laotie.catalog.models import Image, PriceChange, Product, ProductEvent, Sku
from laotie.catalog.schemas import ImageOut, PriceChangeOut, ProductEventOut, ProductOut, SkuOut


def image_url(product_id: int, image_id: int) -> str:
    return f"/api/v1/products/{product_id}/images/{image_id}"


def thumb_url(product_id: int, image_id: int) -> str:
    return f"{image_url(product_id, image_id)}/thumb"


def sku_out(sku: Sku) -> SkuOut:
    return SkuOut(
        id=sku.id,
        attrs=dict(sku.attrs),
        price_fen=sku.price_fen,
        original_price_fen=sku.original_price_fen,
        stock=sku.stock,
        sku_code=sku.sku_code,
        active=sku.active,
    )


def image_out(image: Image) -> ImageOut:
    return ImageOut(
        id=image.id,
        position=image.position,
        url=image_url(image.product_id, image.id),
        thumb_url=thumb_url(image.product_id, image.id),
        width=image.width,
        height=image.height,
        content_type=image.content_type,
    )


def product_out(product: Product) -> ProductOut:
    images = sorted(product.images, key=lambda i: i.position)
    return ProductOut(
        id=product.id,
        shop_id=product.shop_id,
        category_id=product.category_id,
        title=product.title,
        description=product.description,
        size_chart=product.size_chart,
        status=product.status,
        review_reason=product.review_reason,
        purchase_limit=product.purchase_limit,
        attributes=list(product.attributes),
        min_price_fen=product.min_price_fen,
        original_price_fen=product.min_original_price_fen,
        total_stock=product.total_stock,
        sales_count=product.sales_count,
        cover_url=thumb_url(product.id, images[0].id) if images else None,
        skus=[sku_out(s) for s in sorted(product.skus, key=lambda s: s.id)],
        images=[image_out(i) for i in images],
        created_at=product.created_at,
        updated_at=product.updated_at,
        submitted_at=product.submitted_at,
        listed_at=product.listed_at,
    )


def price_change_out(row: PriceChange) -> PriceChangeOut:
    return PriceChangeOut(
        id=row.id,
        sku_id=row.sku_id,
        old_price_fen=row.old_price_fen,
        new_price_fen=row.new_price_fen,
        changed_at=row.changed_at,
        changed_by=row.changed_by,
        reason=row.reason,
    )


def event_out(row: ProductEvent) -> ProductEventOut:
    return ProductEventOut(
        id=row.id,
        actor_id=row.actor_id,
        kind=row.kind,
        from_status=row.from_status,
        to_status=row.to_status,
        reason=row.reason,
        data=dict(row.data),
        at=row.at,
    )
