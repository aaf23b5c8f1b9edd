"""Writing the index: a product's (or live session's, or video's) row built from the domains that own
the facts, upserted in one statement per batch.

Facts come through the owners' services: ``catalog.search_facts`` (title, prices, stock, shop,
cover, visibility), ``logistics.free_shipping_of`` (包邮), ``orders.product_sales`` (已售 and
orders), ``standing.traffic_for_products`` (consequences), ``scores.product_scores`` / ``shop_scores`` (商品分,
价格力, 溢价, DSR, band), the category tree (path, 先用后付 by top category as ``orders.paylater``
decides it). ``scores.*`` events update the score columns between reindexes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from laotie.catalog import service as catalog
from laotie.catalog.schemas import ProductFacts
from laotie.core import clock
from laotie.logistics import service as logistics
from laotie.orders import service as orders
from laotie.search import ranking, text
from laotie.search.categorymap import CategoryMap
from laotie.search.categorymap import cache as category_cache
from laotie.search.models import DocKind, SearchDoc, SearchTerm, change_stamp
from laotie.search.scorecolumns import product_score_columns, shop_score_columns
from laotie.settings import get_settings
from laotie.standing import service as standing
from laotie.standing.schemas import Traffic

_DOCS: Table = SearchDoc.__table__  # type: ignore[assignment]
SCORE_COLUMNS = (
    "product_score",
    "price_index_bp",
    "overpriced",
    "rating_avg_x100",
    "rating_count",
    "dsr_x100",
    "shop_band",
)
# Columns an upsert keeps (the id, the counters of impressions, the stored scores). A product's
# scores are read afresh from the scores API each time it is indexed, so its upsert replaces them.
_KEPT = {"id", "kind", "ref_id", "impressions", *SCORE_COLUMNS}
_KEPT_PRODUCT = {"id", "kind", "ref_id", "impressions"}


def upsert_docs(session: Session, rows: list[dict[str, Any]], kept: set[str] = _KEPT) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    stmt: Any = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(_DOCS)
    replaced = {c.name: stmt.excluded[c.name] for c in _DOCS.columns if c.name not in kept}
    stamp = change_stamp(session)
    stamped = [{**row, "indexed_at": stamp} for row in rows]
    session.execute(stmt.on_conflict_do_update(index_elements=["kind", "ref_id"], set_=replaced), stamped)


def joined_tokens(*parts: Iterable[str]) -> str:
    seen: dict[str, None] = {}
    for part in parts:
        for token in part:
            seen.setdefault(token, None)
    return " ".join(seen)


def learn(session: Session, words: Iterable[str]) -> None:
    """Add words the vocabulary does not have yet (pinyin, typos and suggestions use them)."""
    wanted = sorted({w for w in words if _learnable(w)})
    if not wanted:
        return
    known = set(session.scalars(select(SearchTerm.term).where(SearchTerm.term.in_(wanted))))
    fresh = [w for w in wanted if w not in known]
    if not fresh:
        return
    dialect = session.get_bind().dialect.name
    stmt: Any = (sqlite.insert if dialect == "sqlite" else postgresql.insert)(SearchTerm.__table__)  # type: ignore[arg-type]
    now = clock.now()
    session.execute(
        stmt.on_conflict_do_nothing(index_elements=["term"]),
        [{"term": w, "docs": 1, "added_at": now} for w in fresh],
    )


def _learnable(word: str) -> bool:
    if len(word) > 30:
        return False
    if text.is_cjk(word):
        return len(word) >= 2
    return text.is_ascii_word(word) and len(word) >= 3


def _pay_later(cats: CategoryMap, category_id: int) -> bool:
    top = cats.top(category_id)
    excluded = set(get_settings().pay_later_excluded_categories)
    return top is not None and cats.names.get(top) not in excluded


def _stored_scores(session: Session, kind: str, ref_ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ref_ids:
        return {}
    cols = [getattr(SearchDoc, c) for c in SCORE_COLUMNS]
    rows = session.execute(
        select(SearchDoc.ref_id, SearchDoc.impressions, *cols).where(
            SearchDoc.kind == kind, SearchDoc.ref_id.in_(ref_ids)
        )
    ).all()
    return {r[0]: {"impressions": r[1], **dict(zip(SCORE_COLUMNS, r[2:], strict=True))} for r in rows}


def signals_of(row: dict[str, Any]) -> ranking.Signals:
    return ranking.Signals(
        product_score=row.get("product_score"),
        price_index_bp=row.get("price_index_bp"),
        overpriced=bool(row.get("overpriced")),
        sales=int(row.get("sales") or 0),
        orders=int(row.get("orders") or 0),
        impressions=int(row.get("impressions") or 0),
        dsr_x100=row.get("dsr_x100"),
        distributed=bool(row.get("distributed", True)),
        boosted=bool(row.get("boosted", True)),
        weight_bp=int(row.get("weight_bp") or ranking.FULL_BP),
    )


def _product_row(
    f: ProductFacts,
    cats: CategoryMap,
    free: bool,
    sold: tuple[int, int],
    traffic: Traffic,
    stored: dict[str, Any],
    now: datetime,
) -> tuple[dict[str, Any], list[str]]:
    seg = text.segmenter()
    title = text.normalize(f.title)
    path = [text.normalize(n) for n in cats.path_names(f.category_id)]
    attrs = [text.normalize(v) for v in f.attribute_values[:40]]
    shop = text.normalize(f.shop_name)
    title_tokens = seg.doc_tokens(title)
    aux = [t for p in path + attrs + [shop] for t in seg.doc_tokens(p)]
    row: dict[str, Any] = {
        "kind": DocKind.PRODUCT,
        "ref_id": f.product_id,
        "shop_id": f.shop_id,
        "author_id": None,
        "category_id": f.category_id,
        "title": f.title[:100],
        "title_tokens": joined_tokens(title_tokens),
        "aux_tokens": joined_tokens(aux, text.cjk_chars(title)),
        "subtitle": f.shop_name[:100],
        "cover_url": f.cover_url,
        "price_fen": f.min_price_fen,
        "original_price_fen": f.original_price_fen,
        "sales": sold[0],
        "orders": sold[1],
        "popularity": sold[0],
        "in_stock": f.total_stock > 0,
        "free_shipping": free,
        "pay_later": _pay_later(cats, f.category_id),
        "visible": f.visible,
        "distributed": traffic.distributed,
        "boosted": traffic.boosted,
        "weight_bp": traffic.weight_bp,
        "shop_opened_at": f.shop_opened_at,
        "published_at": f.listed_at,
    }
    row["rank_bp"] = ranking.rank_bp(signals_of({**stored, **row}))
    return row, seg.words(title) + path


def index_products(session: Session, product_ids: Iterable[int]) -> int:
    """(Re)build the rows of these products from their owners' current facts; returns how many."""
    ids = sorted(set(product_ids))
    if not ids:
        return 0
    facts = catalog.search_facts(session, ids)
    cats = category_cache.get(session)
    if any(f.category_id not in cats.names for f in facts):
        cats = category_cache.get(session, need=-1)
    text.segmenter().add_words(text.normalize(n) for n in cats.names.values())
    free = logistics.free_shipping_of(session, ids)
    sold = orders.product_sales(session, ids)
    traffic = standing.traffic_for_products(session, {f.product_id: f.shop_id for f in facts})
    stored = _stored_scores(session, DocKind.PRODUCT, ids)
    # Scores through their API (a reindex also heals a missed ``scores.*`` event).
    product_scores = product_score_columns(session, [f.product_id for f in facts])
    shop_scores = shop_score_columns(session, {f.shop_id for f in facts})
    now = clock.now()
    rows, words = [], []
    for f in facts:
        scored = {**product_scores[f.product_id], **shop_scores[f.shop_id]}
        row, learnt = _product_row(
            f,
            cats,
            free.get(f.product_id, True),
            sold.get(f.product_id, (0, 0)),
            traffic.get(f.product_id, Traffic()),
            {**stored.get(f.product_id, {}), **scored},
            now,
        )
        row.update(scored)
        rows.append(row)
        words.extend(learnt)
    upsert_docs(session, rows, _KEPT_PRODUCT)
    found = {f.product_id for f in facts}
    gone = [i for i in ids if i not in found]
    if gone:  # hidden, not deleted: every process's ranking cache sees the change (``memory``)
        session.execute(
            update(SearchDoc)
            .where(SearchDoc.kind == DocKind.PRODUCT, SearchDoc.ref_id.in_(gone))
            .values(visible=False, indexed_at=change_stamp(session))
        )
    learn(session, words)
    return len(rows)


def rerank(session: Session, kind: str, ref_ids: Iterable[int]) -> None:
    """Recompute ``rank_bp`` from the row's stored signals (after a score, consequence or counter)."""
    ids = sorted(set(ref_ids))
    if not ids:
        return
    cols = [
        SearchDoc.id,
        SearchDoc.product_score,
        SearchDoc.price_index_bp,
        SearchDoc.overpriced,
        SearchDoc.sales,
        SearchDoc.orders,
        SearchDoc.impressions,
        SearchDoc.dsr_x100,
        SearchDoc.distributed,
        SearchDoc.boosted,
        SearchDoc.weight_bp,
        SearchDoc.rank_bp,
        SearchDoc.popularity,
    ]
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        rows = session.execute(
            select(*cols).where(SearchDoc.kind == kind, SearchDoc.ref_id.in_(chunk))
        ).mappings()
        changed = []
        for r in rows:
            signals = dict(r)
            if kind != DocKind.PRODUCT:  # a live session's or video's audience stands for sales
                signals["sales"] = signals["popularity"]
            new = ranking.rank_bp(signals_of(signals))
            if new != r["rank_bp"]:
                changed.append({"doc_id": r["id"], "rank": new})
        if changed:
            session.execute(
                update(_DOCS)
                .where(_DOCS.c.id == bindparam("doc_id"))
                .values(rank_bp=bindparam("rank"), indexed_at=change_stamp(session)),
                changed,
            )


def apply_traffic(session: Session, product_shops: dict[int, int]) -> None:
    """Store the consequences in force now for these products (product id -> shop id)."""
    if not product_shops:
        return
    traffic = standing.traffic_for_products(session, product_shops)
    rows = [
        {"pid": pid, "d": t.distributed, "b": t.boosted, "w": t.weight_bp}
        for pid, t in sorted(traffic.items())
    ]
    session.execute(
        update(_DOCS)
        .where(_DOCS.c.kind == DocKind.PRODUCT, _DOCS.c.ref_id == bindparam("pid"))
        .values(
            distributed=bindparam("d"),
            boosted=bindparam("b"),
            weight_bp=bindparam("w"),
            indexed_at=change_stamp(session),
        ),
        rows,
    )
    rerank(session, DocKind.PRODUCT, product_shops)


def shop_products(session: Session, shop_id: int) -> dict[int, int]:
    """The indexed products of a shop: product id -> shop id."""
    ids = session.scalars(
        select(SearchDoc.ref_id).where(SearchDoc.shop_id == shop_id, SearchDoc.kind == DocKind.PRODUCT)
    )
    return dict.fromkeys(ids, shop_id)


def recount_terms(session: Session) -> int:
    """Set each learnt word's document count from the index (after a full reindex)."""
    counts: dict[str, int] = {}
    seg = text.segmenter()
    last = 0
    while True:
        rows = session.execute(
            select(SearchDoc.id, SearchDoc.title)
            .where(SearchDoc.id > last, SearchDoc.visible.is_(True))
            .order_by(SearchDoc.id)
            .limit(2000)
        ).all()
        if not rows:
            break
        last = rows[-1][0]
        for _, title in rows:
            for word in set(seg.words(text.normalize(title))):
                if _learnable(word):
                    counts[word] = counts.get(word, 0) + 1
    session.execute(delete(SearchTerm))
    now = clock.now()
    items = sorted(counts.items())
    for chunk in (items[i : i + 1000] for i in range(0, len(items), 1000)):
        session.execute(insert(SearchTerm), [{"term": w, "docs": n, "added_at": now} for w, n in chunk])
    return len(counts)


def doc_count(session: Session, kind: str = DocKind.PRODUCT) -> int:
    return session.scalar(select(func.count()).select_from(SearchDoc).where(SearchDoc.kind == kind)) or 0


def product_shops(session: Session, product_ids: Iterable[int]) -> dict[int, int]:
    """product id -> shop id, for indexed products."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(SearchDoc.ref_id, SearchDoc.shop_id).where(
            SearchDoc.kind == DocKind.PRODUCT, SearchDoc.ref_id.in_(ids)
        )
    ).all()
    return {pid: sid for pid, sid in rows if sid is not None}
