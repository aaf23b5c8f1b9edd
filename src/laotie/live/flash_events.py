"""Flash-sale units that come back: an order cancelled unpaid (or refunded before it shipped) gave its
units back to a running flash sale (``flash.release``, in the cancel's transaction). After commit,
this tells the room's viewers the sale's new ``remaining`` through the hub's stock read-back. A session
going live announces the flash sales that waited for it (``flash_open``)."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.orm import Session

from laotie.events.live import LiveSessionStarted
from laotie.events.orders import OrderCancelled, OrderClosed
from laotie.live import flash
from laotie.live.realtime import hub as realtime


def _stock_back(session: Session, ev: OrderCancelled | OrderClosed) -> None:
    session_id = ev.live_session_id
    hub = realtime.current()
    if not session_id or hub is None or hub.loop is None or hub.loop.is_closed():
        return
    for flash_id in flash.running_sale_ids(session, int(session_id)):
        # Handlers run on a worker thread: the hub's dirty set belongs to its loop.
        hub.loop.call_soon_threadsafe(hub.stock_changed, flash_id)


def on_order_cancelled(session: Session, ev: OrderCancelled) -> None:
    _stock_back(session, ev)


def on_order_closed(session: Session, ev: OrderClosed) -> None:
    _stock_back(session, ev)


log = logging.getLogger(__name__)


def on_session_started(session: Session, ev: LiveSessionStarted) -> None:
    """Sales whose start came before the broadcast open now: tell the room (once, by the outbox)."""
    session_id = ev.session_id
    hub = realtime.current()
    if not session_id or hub is None or hub.loop is None or hub.loop.is_closed():
        return
    for sale in flash.postponed(session, int(session_id)):
        message = {"type": "flash_open", "flash_id": sale.flash_id, "remaining": sale.remaining}
        try:
            asyncio.run_coroutine_threadsafe(hub.publish(sale.session_id, message), hub.loop)
        except RuntimeError:
            log.warning("could not announce postponed flash sale %s", sale.flash_id, exc_info=True)
