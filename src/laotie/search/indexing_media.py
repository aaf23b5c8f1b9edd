"""Writing the index for live sessions and short videos: one row per session or video, built from the
live and video domains, with the owning shop's consequences (停止流量分发 and the rest) applied as for
its products."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.live import service as live
from laotie.live.schemas import LiveCard, SessionStatus
from laotie.search import ranking, text
from laotie.search.indexing import joined_tokens, learn, rerank, signals_of, upsert_docs
from laotie.search.models import DocKind, SearchDoc, change_stamp
from laotie.standing import service as standing
from laotie.standing.schemas import Traffic
from laotie.video import service as video


def _shop_traffic(session: Session, shop_ids: list[int]) -> dict[int, Traffic]:
    return standing.traffic_for_shops(session, [s for s in shop_ids if s is not None])


def _media_row(
    kind: str,
    ref_id: int,
    title: str,
    subtitle: str,
    extra: str,
    shop_id: int | None,
    author_id: int | None,
    cover_url: str | None,
    popularity: int,
    visible: bool,
    published_at: datetime | None,
    traffic: Traffic,
    now: datetime,
) -> tuple[dict[str, Any], list[str]]:
    seg = text.segmenter()
    norm_title = text.normalize(title)
    aux = seg.doc_tokens(text.normalize(f"{subtitle} {extra}"))
    row: dict[str, Any] = {
        "kind": kind,
        "ref_id": ref_id,
        "shop_id": shop_id,
        "author_id": author_id,
        "category_id": None,
        "title": title[:100],
        "title_tokens": joined_tokens(seg.doc_tokens(norm_title)),
        "aux_tokens": joined_tokens(aux, text.cjk_chars(norm_title)),
        "subtitle": subtitle[:100],
        "cover_url": cover_url,
        "price_fen": 0,
        "original_price_fen": 0,
        "sales": 0,
        "orders": 0,
        "popularity": popularity,
        "in_stock": True,
        "free_shipping": False,
        "pay_later": False,
        "visible": visible,
        "distributed": traffic.distributed,
        "boosted": traffic.boosted,
        "weight_bp": traffic.weight_bp,
        "shop_opened_at": None,
        "published_at": published_at,
    }
    row["rank_bp"] = ranking.rank_bp(signals_of({**row, "sales": popularity}))
    return row, seg.words(norm_title)


def index_live(session: Session, session_ids: Iterable[int]) -> int:
    cards: list[LiveCard] = live.session_cards(session, sorted(set(session_ids)))
    traffic = _shop_traffic(session, [c.shop_id for c in cards if c.shop_id is not None])
    now = clock.now()
    rows, words = [], []
    for c in cards:
        row, learnt = _media_row(
            DocKind.LIVE,
            c.session_id,
            c.title,
            c.anchor_name,
            "直播",
            c.shop_id,
            c.anchor_user_id,
            c.cover_url,
            c.viewers,
            c.status == SessionStatus.LIVE,
            c.started_at,
            traffic.get(c.shop_id, Traffic()) if c.shop_id is not None else Traffic(),
            now,
        )
        rows.append(row)
        words.extend(learnt)
    upsert_docs(session, rows)
    learn(session, words)
    return len(rows)


def index_videos(session: Session, video_ids: Iterable[int]) -> int:
    ids = sorted(set(video_ids))
    now = clock.now()
    rows, words, hidden = [], [], []
    for vid in ids:
        try:
            v = video.detail(session, vid, None)
        except Exception:  # removed or unknown: no longer searchable
            hidden.append(vid)
            continue
        traffic = _shop_traffic(session, [v.shop_id]).get(v.shop_id, Traffic()) if v.shop_id else Traffic()
        row, learnt = _media_row(
            DocKind.VIDEO,
            v.id,
            v.title,
            v.author_name,
            v.description[:200],
            v.shop_id,
            v.author_id,
            v.cover_url,
            v.views,
            True,
            v.created_at,
            traffic,
            now,
        )
        rows.append(row)
        words.extend(learnt)
    upsert_docs(session, rows)
    if hidden:
        session.execute(
            update(SearchDoc)
            .where(SearchDoc.kind == DocKind.VIDEO, SearchDoc.ref_id.in_(hidden))
            .values(visible=False, indexed_at=change_stamp(session))
        )
    learn(session, words)
    return len(rows)


def apply_shop_media_traffic(session: Session, shop_id: int) -> None:
    """A shop's consequences reach its live sessions and videos in search too."""
    traffic = standing.traffic_for_shops(session, [shop_id])[shop_id]
    for kind in (DocKind.LIVE, DocKind.VIDEO):
        session.execute(
            update(SearchDoc)
            .where(SearchDoc.shop_id == shop_id, SearchDoc.kind == kind)
            .values(
                distributed=traffic.distributed,
                boosted=traffic.boosted,
                weight_bp=traffic.weight_bp,
                indexed_at=change_stamp(session),
            )
        )
        ids = session.scalars(
            select(SearchDoc.ref_id).where(SearchDoc.shop_id == shop_id, SearchDoc.kind == kind)
        )
        rerank(session, kind, list(ids))
