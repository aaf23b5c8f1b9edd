"""``make demo`` seeds reviews that make shops differ: good shops rated high, every third shop low,
size complaints on clothes, photos, follow-ups, shop replies and 系统默认好评, all through the
service (so their events are in the outbox for the scores), and a second run adds nothing."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from rich.console import Console
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core.db import Database
from laotie.core.events import OutboxEvent
from laotie.reviews.models import Review, ReviewStatus
from laotie.sim.demo import seed_demo
from laotie.sim.reviews import profile


def test_demo_reviews_differ_between_shops(db: Database, session: Session, tmp_path: Path) -> None:
    console = Console(file=open(tmp_path / "out.txt", "w"))  # noqa: SIM115 - closed with the test's folder
    seed_demo(db.url, shops=6, products=18, console=console, media_dir=tmp_path)
    rows = session.scalars(select(Review)).all()
    assert len(rows) >= 40
    by_shop: dict[int, list[Review]] = defaultdict(list)
    for r in rows:
        by_shop[r.shop_id].append(r)
    shop_ids = sorted(by_shop)
    assert len(shop_ids) == 6
    written = {s: [r.product_stars for r in by_shop[s] if not r.is_default] for s in shop_ids}
    means = {s: sum(stars) / len(stars) for s, stars in written.items()}
    good = [means[s] for i, s in enumerate(shop_ids) if profile(i).good]
    bad = [means[s] for i, s in enumerate(shop_ids) if not profile(i).good]
    assert bad and max(bad) < min(good), means
    assert any("尺码偏小" in r.tags for r in rows), "no size complaints on the clothes"
    assert any(r.is_default and r.text == "" for r in rows)
    assert any(r.followup_text for r in rows) and any(r.reply_text for r in rows)
    assert any(r.photo_count for r in rows)
    published = session.scalar(
        select(func.count()).select_from(OutboxEvent).where(OutboxEvent.topic == "reviews.review_published")
    )
    assert published == sum(1 for r in rows if r.status == ReviewStatus.PUBLISHED)
    session.rollback()
    seed_demo(db.url, shops=6, products=18, console=console, media_dir=tmp_path)
    assert session.scalar(select(func.count()).select_from(Review)) == len(rows)
