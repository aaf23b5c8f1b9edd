"""Flash sales (秒杀): a quantity of one SKU at a special price, opening at its start time while its
session is live (issue 9 item 7: a sale never sells before the broadcast). A sale whose start comes
while its session is still scheduled is postponed until the session goes live (announced then), or
closes with its units back on the shelf if the session ends without going live (``close_all``).

The quantity leaves the SKU's stock when the sale is created (refused when the stock is short), so
the sale can never oversell the shelf nor the shelf the sale. Buyers buy through the orders domain's
batched buy path with a server-side ``PriceOverride``: its ``claim`` takes units from ``remaining``
and the buyer's flash quota with conditional updates in the order's own transaction. When the
session ends, unsold units go back to the SKU. An order cancelled unpaid (or refunded before it
shipped) gives its units back to the sale while the sale runs, and to the SKU once it has closed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.core import clock
from laotie.core.auth import Principal
from laotie.live import errors
from laotie.live.models import FlashQuota, FlashSale, LiveCartItem, LiveSession, SessionStatus
from laotie.live.rooms import anchor_creator_id, load_session, own_session, require_state
from laotie.live.schemas import FlashSaleIn, FlashSaleOut
from laotie.orders import service as orders
from laotie.orders.schemas import PriceOverride

MAX_AHEAD = timedelta(days=7)
# A start a few seconds in the past (clock skew, a slow form) means "now".
GRACE = timedelta(seconds=5)


def flash_out(sale: FlashSale, live: bool = True) -> FlashSaleOut:
    """``live``: whether the sale's session is on air now (a sale opens only then)."""
    return FlashSaleOut(
        id=sale.id,
        item_id=sale.item_id,
        sku_id=sale.sku_id,
        price_fen=sale.price_fen,
        list_price_fen=sale.list_price_fen,
        quantity=sale.quantity,
        remaining=sale.remaining,
        per_buyer_limit=sale.per_buyer_limit,
        starts_at=sale.starts_at,
        open=live and not sale.closed and sale.starts_at <= clock.now() and sale.remaining > 0,
        closed=sale.closed,
        waiting_for_live=not live and not sale.closed and sale.starts_at <= clock.now(),
    )


def _live(session: Session, session_id: int) -> bool:
    return (
        session.scalar(select(LiveSession.status).where(LiveSession.id == session_id)) == SessionStatus.LIVE
    )


def create(session: Session, principal: Principal, session_id: int, body: FlashSaleIn) -> FlashSaleOut:
    row, _ = own_session(session, principal, session_id)
    require_state(row, {SessionStatus.SCHEDULED, SessionStatus.LIVE}, "创建秒杀")
    item = session.get(LiveCartItem, body.item_id)
    if item is None or item.session_id != row.id:
        raise errors.CART_ITEM_NOT_FOUND(item_id=body.item_id)
    now = clock.now()
    if not (now - GRACE <= body.starts_at <= now + MAX_AHEAD):
        raise errors.FLASH_START_INVALID(starts_at=body.starts_at.isoformat())
    # Locks the SKU row (PostgreSQL) so the stock read and the reservation agree.
    sku = catalog.skus_for_sale(session, [body.sku_id], lock=True).get(body.sku_id)
    if sku is None or sku.product_id != item.product_id or not sku.sellable:
        raise errors.FLASH_SKU_MISMATCH(sku_id=body.sku_id)
    if body.price_fen >= sku.price_fen:
        raise errors.FLASH_PRICE_INVALID(price_fen=body.price_fen, regular_fen=sku.price_fen)
    if sku.stock < body.quantity:
        raise errors.FLASH_NOT_ENOUGH_STOCK(quantity=body.quantity, available=sku.stock)
    catalog.take_stock(session, {sku.sku_id: body.quantity})
    sale = FlashSale(
        session_id=row.id,
        item_id=item.id,
        sku_id=sku.sku_id,
        price_fen=body.price_fen,
        list_price_fen=sku.price_fen,
        quantity=body.quantity,
        remaining=body.quantity,
        per_buyer_limit=body.per_buyer_limit,
        starts_at=max(body.starts_at, now),
        closed=False,
        created_at=now,
    )
    session.add(sale)
    session.flush()
    return flash_out(sale, row.status == SessionStatus.LIVE)


def load(session: Session, session_id: int, flash_id: int) -> FlashSale:
    sale = session.get(FlashSale, flash_id)
    if sale is None or sale.session_id != session_id:
        raise errors.FLASH_NOT_FOUND(flash_sale_id=flash_id)
    return sale


def _refusal(session: Session, flash_id: int) -> Exception:
    sale = session.get(FlashSale, flash_id)
    if sale is None:
        return errors.FLASH_NOT_FOUND(flash_sale_id=flash_id)
    session.refresh(sale)
    if sale.closed:
        return errors.FLASH_CLOSED(flash_sale_id=flash_id)
    if sale.starts_at > clock.now():
        return errors.FLASH_NOT_OPEN(starts_at=sale.starts_at.isoformat())
    if not _live(session, sale.session_id):
        return errors.FLASH_WAITING_FOR_LIVE(flash_sale_id=flash_id)
    return errors.FLASH_SOLD_OUT(flash_sale_id=flash_id, remaining=sale.remaining)


def claimer(flash_id: int, limit: int) -> Callable[[Session, int, int], None]:
    """The claim the orders domain runs in the placement's transaction: the buyer's quota first, then
    the sale's units, each one conditional update; a refusal undoes the quota and raises."""

    def claim(session: Session, buyer_id: int, quantity: int) -> None:
        if quantity > limit:
            raise errors.FLASH_LIMIT(limit=limit)
        moved = session.execute(
            update(FlashQuota)
            .where(
                FlashQuota.flash_sale_id == flash_id,
                FlashQuota.buyer_id == buyer_id,
                FlashQuota.units + quantity <= limit,
            )
            .values(units=FlashQuota.units + quantity)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            held = session.scalar(
                select(FlashQuota.units).where(
                    FlashQuota.flash_sale_id == flash_id, FlashQuota.buyer_id == buyer_id
                )
            )
            if held is not None:
                raise errors.FLASH_LIMIT(limit=limit)
            session.execute(
                insert(FlashQuota).values(flash_sale_id=flash_id, buyer_id=buyer_id, units=quantity)
            )
        taken = session.execute(
            update(FlashSale)
            .where(
                FlashSale.id == flash_id,
                FlashSale.remaining >= quantity,
                FlashSale.closed.is_(False),
                FlashSale.starts_at <= clock.now(),
                # Only while the broadcast is on air, in the same conditional update.
                FlashSale.session_id.in_(
                    select(LiveSession.id).where(LiveSession.status == SessionStatus.LIVE)
                ),
            )
            .values(remaining=FlashSale.remaining - quantity)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            session.execute(
                update(FlashQuota)
                .where(FlashQuota.flash_sale_id == flash_id, FlashQuota.buyer_id == buyer_id)
                .values(units=FlashQuota.units - quantity)
            )
            raise _refusal(session, flash_id)

    return claim


def release(session: Session, flash_id: int, buyer_id: int, quantity: int) -> bool:
    """A cancelled order's flash units, in the cancel's transaction: the buyer's quota frees them and,
    while the sale is not closed, ``remaining`` takes them back (True). A closed sale already gave its
    unsold units to the SKU, so these go there too (False; the orders domain returns them).

    Exactly once against ``close_all``: both are conditional on ``closed = false`` for the same row,
    so whichever locks it second sees the other's result (the closing ``RETURNING remaining``
    includes units released before it; a release after the close finds the sale closed). Quota
    before sale, as ``claim`` does, so a cancel and a purchase never deadlock."""
    session.execute(
        update(FlashQuota)
        .where(
            FlashQuota.flash_sale_id == flash_id,
            FlashQuota.buyer_id == buyer_id,
            FlashQuota.units >= quantity,
        )
        .values(units=FlashQuota.units - quantity)
    )
    back = session.execute(
        update(FlashSale)
        .where(FlashSale.id == flash_id, FlashSale.closed.is_(False))
        .values(remaining=FlashSale.remaining + quantity)
    )
    return bool(back.rowcount == 1)  # type: ignore[attr-defined]


orders.on_reservation_release("flash_sale", release)


@dataclass(frozen=True)
class FlashPurchase:
    """What the buy route needs to place a flash order through the orders domain."""

    sale: FlashSaleOut
    live_session_id: int
    creator_id: int | None
    override: PriceOverride


def prepare_buy(session: Session, session_id: int, flash_id: int) -> FlashPurchase:
    """Check the sale is open (a fast refusal before the order batch) and build the override."""
    row, room = load_session(session, session_id)
    if row.status == SessionStatus.ENDED:
        raise errors.SESSION_ENDED(session_id=session_id)
    sale = load(session, session_id, flash_id)
    if sale.closed:
        raise errors.FLASH_CLOSED(flash_sale_id=flash_id)
    if sale.starts_at > clock.now():
        raise errors.FLASH_NOT_OPEN(starts_at=sale.starts_at.isoformat())
    if row.status != SessionStatus.LIVE:
        raise errors.FLASH_WAITING_FOR_LIVE(flash_sale_id=flash_id)
    if sale.remaining <= 0:
        raise errors.FLASH_SOLD_OUT(flash_sale_id=flash_id, remaining=0)
    override = PriceOverride(
        sku_id=sale.sku_id,
        unit_price_fen=sale.price_fen,
        kind="flash_sale",
        reference_id=sale.id,
        claim=claimer(sale.id, sale.per_buyer_limit),
    )
    return FlashPurchase(flash_out(sale), row.id, anchor_creator_id(room), override)


def remaining(session: Session, flash_id: int) -> int:
    return int(session.scalar(select(FlashSale.remaining).where(FlashSale.id == flash_id)) or 0)


def running_sale_ids(session: Session, session_id: int) -> list[int]:
    """The session's flash sales that are not closed (their ``remaining`` may still change)."""
    return list(
        session.scalars(
            select(FlashSale.id)
            .where(FlashSale.session_id == session_id, FlashSale.closed.is_(False))
            .order_by(FlashSale.id)
        )
    )


def close_all(session: Session, session_id: int) -> int:
    """The session ended: close its flash sales and give unsold units back to the SKUs, once."""
    returned = 0
    sales = session.scalars(
        select(FlashSale)
        .where(FlashSale.session_id == session_id, FlashSale.closed.is_(False))
        .order_by(FlashSale.sku_id)
    ).all()
    for sale in sales:
        # RETURNING reads ``remaining`` after any claim that committed first: nothing is given back twice.
        left = session.execute(
            update(FlashSale)
            .where(FlashSale.id == sale.id, FlashSale.closed.is_(False))
            .values(closed=True)
            .returning(FlashSale.remaining)
        ).scalar()
        if left:
            catalog.return_stock(session, sale.sku_id, int(left))
            returned += int(left)
    session.flush()
    return returned


def session_sales(session: Session, session_id: int) -> list[FlashSaleOut]:
    live = _live(session, session_id)
    return [
        flash_out(s, live)
        for s in session.scalars(
            select(FlashSale).where(FlashSale.session_id == session_id).order_by(FlashSale.id)
        )
    ]


@dataclass(frozen=True)
class PendingOpening:
    """A flash sale whose opening notice (``flash_open``) is still to come."""

    flash_id: int
    session_id: int
    starts_at: datetime
    remaining: int


def unopened(session: Session, now: datetime | None = None) -> list[PendingOpening]:
    """Flash sales not open yet, of sessions still scheduled or live: what a starting process
    schedules opening notices for (the process that created them may have restarted since)."""
    rows = session.execute(
        select(FlashSale.id, FlashSale.session_id, FlashSale.starts_at, FlashSale.remaining)
        .join(LiveSession, LiveSession.id == FlashSale.session_id)
        .where(
            FlashSale.closed.is_(False),
            FlashSale.starts_at > (now or clock.now()),
            LiveSession.status.in_([SessionStatus.SCHEDULED, SessionStatus.LIVE]),
        )
        .order_by(FlashSale.starts_at, FlashSale.id)
    ).all()
    return [PendingOpening(int(f), int(s), at, int(r)) for f, s, at, r in rows]


def still_opening(session: Session, flash_id: int) -> PendingOpening | None:
    """The sale, if its opening is worth announcing now (not closed, its session live: a session
    still scheduled announces its postponed sales when it goes live, ``postponed``)."""
    row = session.execute(
        select(FlashSale.id, FlashSale.session_id, FlashSale.starts_at, FlashSale.remaining)
        .join(LiveSession, LiveSession.id == FlashSale.session_id)
        .where(
            FlashSale.id == flash_id,
            FlashSale.closed.is_(False),
            LiveSession.status == SessionStatus.LIVE,
        )
    ).first()
    return PendingOpening(int(row[0]), int(row[1]), row[2], int(row[3])) if row else None


def postponed(session: Session, session_id: int) -> list[PendingOpening]:
    """The session just went live: its sales whose start had already come open now."""
    rows = session.execute(
        select(FlashSale.id, FlashSale.session_id, FlashSale.starts_at, FlashSale.remaining).where(
            FlashSale.session_id == session_id,
            FlashSale.closed.is_(False),
            FlashSale.starts_at <= clock.now(),
            FlashSale.remaining > 0,
        )
    ).all()
    return [PendingOpening(int(f), int(s), at, int(r)) for f, s, at, r in rows]
