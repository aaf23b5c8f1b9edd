from __future__ import annotations

from pathlib import Path

from rich.console import Console
from sqlalchemy.orm import Session

from laotie.accounts import service as accounts
from laotie.catalog import service as catalog
from laotie.core.db import Database
from laotie.core.pagination import PageParams
from laotie.shops import service as shops
from laotie.sim.demo import DEMO_PASSWORD, print_accounts, seed_demo


def _marketplace(session: Session) -> tuple[int, int, int]:
    listed = catalog.list_listed(session, PageParams(limit=1)).total
    in_review = catalog.review_queue(session, PageParams(limit=1)).total
    pending = shops.review_queue(session, PageParams(limit=1)).total
    session.rollback()
    return listed, in_review, pending


def test_seeds_through_the_services_once(db: Database, session: Session, tmp_path: Path) -> None:
    console = Console(record=True, width=120)
    first = seed_demo(db.url, shops=4, products=10, console=console, media_dir=tmp_path)
    # 10 listed, less the last shop's two: the demo's counterfeit case delists them (sim.governance_integrity)
    assert _marketplace(session) == (8, 4, 2)
    roles = [a.role for a in first]
    assert sum("merchant" in r for r in roles) == 4 and sum("buyer" in r for r in roles) >= 3
    assert any("admin" in r for r in roles) and any("governance" in r for r in roles)
    merchant = next(a for a in first if "merchant" in a.role)
    user = accounts.authenticate(session, merchant.phone, DEMO_PASSWORD, "test")
    [shop] = shops.shops_of(session, user.id)
    assert shop.status.value == "open" and shop.name == merchant.note
    card = catalog.list_listed(session, PageParams(limit=1), shop_id=shop.id).items[0]
    assert card.cover_url and card.min_price_fen > 0
    assert any(tmp_path.rglob("*.jpg")) or any(tmp_path.rglob("*.webp")) or any(tmp_path.rglob("*.png"))
    queue = shops.review_queue(session, PageParams()).items
    assert sorted(bool(item.missing_documents) for item in queue) == [False, True]
    session.rollback()

    again = seed_demo(db.url, shops=4, products=10, console=console, media_dir=tmp_path)
    assert again == first
    assert _marketplace(session) == (8, 4, 2)
    assert "演示数据已存在" in console.export_text()
    print_accounts(again, console)
    assert merchant.phone in console.export_text()
