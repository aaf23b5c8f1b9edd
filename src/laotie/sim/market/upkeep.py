"""What happens in a simulated day besides the buyers' visits, at fixed hours: new merchants open
(08:00), merchants ship yesterday's orders (09:00), anchors go live (18:00), buyers decide about
what was delivered and after-sales moves (21:30), broadcasts end (23:00), and the platform's own
periodic jobs, outbox and impression log run (23:30) exactly as the worker would run them.

Merchants differ in after-sales too: honest ones approve a return, receive it and refund the same
day; the others sit on it, and the platform's 48-hour rules (``aftersales.run_timeouts``) decide.
A merchant that sold nothing for ``PATIENCE`` days closes its shop (a new one only after its first
``PATIENCE`` days): that is how a starved merchant leaves.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial

from sqlalchemy import select

from laotie.aftersales import service as aftersales
from laotie.aftersales.models import Case, CaseKind, CaseReason, CaseStatus
from laotie.aftersales.schemas import CaseIn, ShipBackIn
from laotie.core.jobs import jobs
from laotie.core.uow import unit_of_work
from laotie.feed import service as feed
from laotie.live import service as live
from laotie.live.realtime import store
from laotie.live.schemas import CartItemOut, SessionIn
from laotie.orders import service as orders
from laotie.orders.models import Order, OrderStatus
from laotie.search import service as search
from laotie.shops import service as shops
from laotie.sim.cashier import at
from laotie.sim.market.agents import NO_REASON_RETURN
from laotie.sim.market.state import Sim, attempt
from laotie.sim.market.world import moment, open_merchant
from laotie.social import service as social
from laotie.social.schemas import TargetKind

log = logging.getLogger(__name__)
PATIENCE = 14
CONFIRM = 0.6
NEXT = {
    CaseStatus.REQUESTED: CaseStatus.APPROVED,
    CaseStatus.APPROVED: CaseStatus.RETURNING,
    CaseStatus.RETURNING: CaseStatus.RECEIVED,
    CaseStatus.RECEIVED: CaseStatus.REFUNDED,
}  # a satisfied buyer confirms receipt; the others let it auto-confirm


def run_jobs(sim: Sim) -> None:
    """Every periodic job once, in name order, each in its own transaction (as ``core.jobs`` runs
    them), without its wall-clock pacing: the simulator's clock decides when. As there, a job that
    fails is logged and counted, and the others still run."""
    for name in sorted(jobs.entries):
        try:
            with unit_of_work(sim.world.db) as session:
                jobs.entries[name].job(session)
                session.commit()
        except Exception:
            log.exception("job %s failed in the simulation", name)
            sim.tally.refused[f"job:{name}"] += 1


def settle(sim: Sim, when: datetime) -> None:
    """Let every event handler run (search index, new-merchant evidence, ledger, ...), then write
    the impressions logged since the last time, as at ``when`` (handlers stamp what they write)."""
    with at(when):
        sim.cashier.settle()
        with unit_of_work(sim.world.db) as session:
            feed.flush_impressions(session)
            session.commit()


def open_merchants(sim: Sim, day: int) -> None:
    due = [m for m in sim.world.merchants if m.opens_day == day and not m.shop_id]
    for m in due:
        open_merchant(sim.world, m, day, sim.seed)
    if due:
        settle(sim, moment(day, 8.2))
    with at(moment(day, 8.5)), unit_of_work(sim.world.db, read_only=True) as session:
        search.vocabulary(session, force=True)  # the day's words, whatever the 30 s refresh says


def ship(sim: Sim, day: int) -> None:
    waiting = [t for t in sim.tracked.values() if t.day < day]
    if not waiting:
        return
    db = sim.world.db
    with at(moment(day, 9)), unit_of_work(db) as session:
        paid = set(
            session.scalars(
                select(Order.id).where(
                    Order.id.in_([t.order_id for t in waiting]), Order.status == OrderStatus.PAID
                )
            )
        )
        by_shop = sim.world.by_shop()
        for t in sorted(waiting, key=lambda t: t.order_id):
            if t.order_id in paid:
                owner = sim.world.principals[by_shop[t.shop_id].user_id]
                waybill = f"ZT{t.order_id:010d}"
                ship_ = partial(
                    orders.fulfilment.ship, session, owner, t.shop_id, t.order_id, "中通快递", waybill
                )
                attempt(sim, session, "ship", ship_)
        session.commit()


def go_live(sim: Sim, day: int) -> None:
    """Merchants with a room go live every other evening, creators every evening, each with its goods
    in the cart and the first one 讲解中."""
    w = sim.world
    anchors: list[tuple[int, int, str, int | None, list[int]]] = []  # user, room, key, creator, cart
    for m in w.merchants:
        if m.index in w.rooms and m.closed_day is None and (day + m.index) % 2 == 0:
            room, key = w.rooms[m.index]
            anchors.append((m.user_id, room, key, None, [t.product_id for t in w.shop_products(m.index)]))
    for c in w.creators:
        alive = [p for p in c.picks if w.merchants[w.products[p].merchant].closed_day is None]
        if alive:
            anchors.append((c.user_id, c.room_id, c.stream_key, c.user_id, alive))
    with at(moment(day, 18)), unit_of_work(w.db) as session:
        for user_id, room_id, key, creator, cart in anchors:
            principal = w.principals[user_id]
            title = SessionIn(title=f"第{day + 1}天 宠粉专场")
            out = attempt(
                sim,
                session,
                "go_live",
                partial(live.create_session, session, principal, room_id, title),
            )
            if out is None:
                continue
            shown: list[int] = []
            items: list[CartItemOut] = []
            for product_id in cart[:5]:
                added = attempt(
                    sim,
                    session,
                    "live_cart",
                    partial(live.add_to_cart, session, principal, out.id, product_id),
                )
                if added is not None:
                    items, shown = added, [*shown, product_id]
            attempt(sim, session, "go_live", partial(live.start_by_key, session, key))
            if items:
                attempt(sim, session, "pin", partial(live.pin, session, principal, out.id, items[0].id))
            sim.on_air[out.id] = (user_id, creator, shown)
        session.commit()
    settle(sim, moment(day, 18.05))


def end_live(sim: Sim, day: int) -> None:
    with at(moment(day, 23)):
        for session_id in sorted(sim.on_air):
            sim.viewers.peaks[session_id] = max(
                1, sum(1 for (sid, _) in sim.viewers.viewers if sid == session_id) // 2
            )
        store.flush(sim.world.db, sim.viewers)
        sim.viewers = store.Pending()
        with unit_of_work(sim.world.db) as session:
            for session_id, (user_id, _, _) in sorted(sim.on_air.items()):
                principal = sim.world.principals[user_id]
                attempt(
                    sim,
                    session,
                    "end_live",
                    partial(live.end_session, session, principal, session_id),
                )
            session.commit()
    sim.on_air.clear()
    settle(sim, moment(day, 23.05))


def _decide(sim: Sim, day: int, delivered: list[int]) -> None:
    """Buyers look at what arrived: a faulty piece goes back for its quality, a few good ones go
    back without a reason, the rest are kept (and a happy loyal buyer follows the shop)."""
    w, rng = sim.world, sim.rng
    with unit_of_work(w.db) as session:
        for order_id in delivered:
            t = sim.tracked.pop(order_id)
            b = w.buyers[t.buyer]
            principal = w.principals[b.user_id]
            truth = w.products[t.product_id]
            faulty = rng.random() < truth.fault_rate
            reason = CaseReason.QUALITY if faulty else CaseReason.NO_REASON
            if faulty or rng.random() < NO_REASON_RETURN:
                body = CaseIn(
                    order_id=order_id, kind=CaseKind.RETURN, reason=reason, description="模拟买家退货"
                )
                key = f"sim-case-{sim.seed}-{order_id}"
                if attempt(
                    sim, session, "return", partial(aftersales.open_case, session, principal, body, key)
                ):
                    sim.tally.returns_opened[str(reason)] += 1
                sim.tally.faulty_received += faulty
                continue
            if rng.random() < CONFIRM:
                attempt(
                    sim,
                    session,
                    "confirm",
                    partial(orders.fulfilment.confirm_receipt, session, principal, order_id),
                )
            if t.shop_id not in b.followed_shops and rng.random() < b.loyalty * 0.5:
                follow = partial(social.follow, session, principal, TargetKind.SHOP, t.shop_id)
                if attempt(sim, session, "follow", follow) is not None:
                    b.followed_shops.add(t.shop_id)
                    sim.tally.follows_after_purchase += 1
        session.commit()


def _cases(sim: Sim) -> None:
    """Honest merchants handle returns at once; buyers send approved returns back."""
    w = sim.world
    by_shop = w.by_shop()
    with unit_of_work(w.db) as session:
        open_ = session.execute(
            select(Case.id, Case.shop_id, Case.buyer_id, Case.status)
            .where(
                Case.status.in_(
                    [CaseStatus.REQUESTED, CaseStatus.APPROVED, CaseStatus.RETURNING, CaseStatus.RECEIVED]
                )
            )
            .order_by(Case.id)
        ).all()
        for case_id, shop_id, buyer_id, status in open_:
            m = by_shop[shop_id]
            owner = w.principals[m.user_id]
            honest = m.kind == "honest"
            buyer = w.principals[buyer_id]
            body = ShipBackIn(carrier="圆通速递", tracking_no=f"YT{case_id:010d}")
            # Each step in turn while it succeeds: (state it needs, who acts, action, state after).
            steps = [
                (
                    CaseStatus.REQUESTED,
                    honest,
                    "approve",
                    partial(aftersales.approve, session, owner, case_id),
                ),
                (
                    CaseStatus.APPROVED,
                    True,
                    "ship_back",
                    partial(aftersales.ship_back, session, buyer, case_id, body),
                ),
                (
                    CaseStatus.RETURNING,
                    honest,
                    "receive",
                    partial(aftersales.receive, session, owner, case_id),
                ),
                (
                    CaseStatus.RECEIVED,
                    honest,
                    "refund",
                    partial(aftersales.refund_received, session, owner, case_id),
                ),
            ]
            for needed, acts, action, step in steps:
                if status == needed and acts and attempt(sim, session, action, step) is not None:
                    status = NEXT[needed]
        session.commit()


def after_sales(sim: Sim, day: int) -> None:
    with at(moment(day, 21.5)):
        ids = sorted(sim.tracked)
        with unit_of_work(sim.world.db, read_only=True) as session:
            delivered = (
                list(
                    session.scalars(
                        select(Order.id)
                        .where(Order.id.in_(ids), Order.status == OrderStatus.DELIVERED)
                        .order_by(Order.id)
                    )
                )
                if ids
                else []
            )
        _decide(sim, day, delivered)
        _cases(sim)
    settle(sim, moment(day, 21.6))


def nightly(sim: Sim, day: int) -> None:
    """The platform's periodic jobs, then merchants who sold nothing for too long give up."""
    with at(moment(day, 23.5)):
        run_jobs(sim)
        settle(sim, moment(day, 23.6))
        with unit_of_work(sim.world.db) as session:
            for m in sim.world.merchants:
                if not m.shop_id or m.closed_day is not None:
                    continue
                start = max(m.opens_day, 0)
                sold = [d for d in sim.sold_days.get(m.shop_id, []) if d > day - PATIENCE]
                if day - start >= PATIENCE and not sold:
                    owner = sim.world.principals[m.user_id]
                    if attempt(
                        sim,
                        session,
                        "close",
                        partial(shops.close_own, session, owner, m.shop_id, "生意不好，暂停营业"),
                    ):
                        m.closed_day = day
                        sim.tally.merchants_quit += 1
            session.commit()
        settle(sim, moment(day, 23.7))
