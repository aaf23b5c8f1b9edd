"""Search's public face: product search with facets, the shelf's browsing, live and video search,
suggestions as you type, hot searches, and keeping the index in step.

The feed, the web pages and the simulator call these functions; the index itself is written only
here and by the event handlers in ``events``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from laotie.categories import errors as category_errors
from laotie.core import clock
from laotie.search import engine, errors, indexing, indexing_media, querylog, replica_query
from laotie.search import plan as planning
from laotie.search.categorymap import CategoryMap
from laotie.search.categorymap import cache as category_cache
from laotie.search.docs import docs
from laotie.search.models import DocKind, SearchDoc, SearchTerm, change_stamp
from laotie.search.replica import REPLICA
from laotie.search.schemas import (
    SORTS,
    ContentKind,
    ContentResult,
    DocView,
    Facets,
    Filters,
    HotSearch,
    ProductHit,
    SearchResult,
    Suggestion,
    SuggestResult,
)
from laotie.search.vocabulary import Vocabulary, VocabularyCache
from laotie.settings import get_settings

__all__ = [
    "NEW_SHOP_DAYS",
    "Filters",
    "ProductHit",
    "apply_traffic",
    "browse",
    "category_children",
    "category_roots",
    "category_trail",
    "count_impressions",
    "docs",
    "docs_of_shop",
    "flush_query_log",
    "forget_process_caches",
    "hot_searches",
    "index_live",
    "index_products",
    "index_videos",
    "product_hits",
    "product_signals",
    "quality_of",
    "quality_parts",
    "search_content",
    "search_products",
    "set_product_scores",
    "set_shop_scores",
    "suggest",
    "vocabulary",
]

NEW_SHOP_DAYS = engine.NEW_SHOP_DAYS
FEW_RESULTS = 5  # below this, a correction is looked for ("did you mean")
_vocab = VocabularyCache()
index_products = indexing.index_products
index_live = indexing_media.index_live
index_videos = indexing_media.index_videos
apply_traffic = indexing.apply_traffic
docs_of_shop = indexing.shop_products


def forget_process_caches() -> None:
    """Drop this process's copies of the index, the vocabulary and the category tree. Each is kept
    in step with one database by what changes in it; a caller that swaps or empties the database
    under them (the simulator's runs, the tests) starts from none."""
    REPLICA.forget()
    _vocab.clear()
    category_cache.clear()


def vocabulary(session: Session, *, force: bool = False) -> Vocabulary:
    def stamp() -> object:
        return session.execute(select(func.count(), func.max(SearchTerm.added_at))).one()

    def terms() -> list[tuple[str, int]]:
        return [(t, n) for t, n in session.execute(select(SearchTerm.term, SearchTerm.docs))]

    def build(pairs: list[tuple[str, int]]) -> Vocabulary:
        return Vocabulary.build(dict(pairs), category_cache.get(session).names.values())

    return _vocab.current(stamp, terms, force=force, build=build)


def _categories(session: Session, filters: Filters) -> CategoryMap:
    cats = category_cache.get(session, need=filters.category_id)
    if filters.category_id is not None and filters.category_id not in cats.names:
        raise category_errors.CATEGORY_NOT_FOUND(category_id=filters.category_id)
    return cats


def _check(sort: str, limit: int, offset: int) -> None:
    if sort not in SORTS:
        raise errors.UNKNOWN_SORT(sort=sort[:30], sorts="、".join(SORTS))
    if not 1 <= limit <= 100 or not 0 <= offset <= 10_000:
        raise errors.BAD_PAGE()


class _Runner:
    """Where one search runs: this process's replica (brought up to date once per search), or the
    database's own engine when ``search_replica`` is off (ADR 0027)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.table = REPLICA.current(session) if get_settings().search_replica else None

    def facets(self, q: engine.Query, cats: CategoryMap, under: int | None) -> tuple[int, Facets]:
        if self.table is None:
            return engine.facets(self.session, q, cats, under)
        return replica_query.facets(self.table, q, cats, under)

    def page(self, q: engine.Query, sort: str, limit: int, offset: int) -> list[ProductHit]:
        if self.table is None:
            return engine.page(self.session, q, sort, limit, offset)
        return replica_query.page(self.table, q, sort, limit, offset)


def search_products(
    session: Session,
    q: str,
    filters: Filters | None = None,
    sort: str = "relevance",
    limit: int = 20,
    offset: int = 0,
    *,
    log: bool = True,
) -> SearchResult:
    """Products matching ``q`` (every word, else some), filtered, ranked or sorted, with facets.
    A query with no searchable word (empty, emoji only) browses every product instead."""
    filters = filters or Filters()
    _check(sort, limit, offset)
    cats = _categories(session, filters)
    vocab = vocabulary(session)
    p = planning.plan(q, vocab)
    query = engine.build(session, DocKind.PRODUCT, [list(t) for t in p.terms], filters, cats, list(p.heads))
    under = filters.category_id
    runner = _Runner(session)
    total, facets = runner.facets(query, cats, under)
    relaxed, corrected_to, did_you_mean = False, None, None
    if p.terms and total < FEW_RESULTS:
        fixed = planning.correct(p, vocab)
        if fixed:
            alt = planning.plan_words(fixed, vocab)
            alt_query = engine.build(
                session, DocKind.PRODUCT, [list(t) for t in alt.terms], filters, cats, list(alt.heads)
            )
            alt_total, alt_facets = runner.facets(alt_query, cats, under)
            if alt_total > total and total == 0:
                p, query, total, facets = alt, alt_query, alt_total, alt_facets
                corrected_to = alt.normalized
            elif alt_total > total:
                did_you_mean = alt.normalized
    if p.terms and total == 0 and len(p.terms) > 1:
        query.any_term = True
        total, facets = runner.facets(query, cats, under)
        relaxed = total > 0
    items = runner.page(query, sort, limit, offset) if total else []
    partial_from = None
    if p.terms and not relaxed and 0 < total < FEW_RESULTS and len(p.terms) > 1 and offset == 0:
        # Only a few have every word: show them first, then goods with some of the words.
        query.any_term = True
        seen = {h.id for h in items}
        more = [h for h in runner.page(query, sort, limit, 0) if h.id not in seen]
        if more:
            partial_from = len(items)
            items = (items + more)[:limit]
    if log and p.terms and offset == 0:
        querylog.LOG.record(corrected_to or p.normalized, total > 0)
    return SearchResult(
        query=q,
        normalized=p.normalized,
        terms=[list(t) for t in p.terms],
        corrected_to=corrected_to,
        did_you_mean=did_you_mean,
        relaxed=relaxed,
        partial_from=partial_from,
        sort=sort,  # type: ignore[arg-type]
        total=total,
        limit=limit,
        offset=offset,
        items=items,
        facets=facets,
    )


def browse(
    session: Session, filters: Filters, sort: str = "relevance", limit: int = 20, offset: int = 0
) -> SearchResult:
    """A shelf page (category, shop, new merchants): the same filters, sorts and facets, no words."""
    return search_products(session, "", filters, sort, limit, offset, log=False)


def search_content(session: Session, q: str, kind: ContentKind, limit: int = 20) -> ContentResult:
    """Live sessions on air, or published short videos, matching ``q`` (all of them when empty)."""
    if not 1 <= limit <= 100:
        raise errors.BAD_PAGE()
    p = planning.plan(q, vocabulary(session))
    doc_kind = DocKind.LIVE if kind == "live" else DocKind.VIDEO
    query = engine.build(session, doc_kind, [list(t) for t in p.terms], Filters(), None)
    items = engine.content(session, query, limit)
    if not items and len(p.terms) > 1:
        query.any_term = True
        items = engine.content(session, query, limit)
    return ContentResult(query=q, kind=kind, items=items)


def suggest(session: Session, prefix: str, limit: int = 10) -> SuggestResult:
    """As the buyer types: what others searched starting so, then known words (Chinese or pinyin)."""
    from laotie.search import text

    normalized = text.normalize(prefix)
    if not normalized:
        return SuggestResult(
            prefix=prefix,
            items=[Suggestion(text=h.query, source="history") for h in hot_searches(session, limit)],
        )
    found: dict[str, str] = {}
    for query in querylog.starting_with(session, normalized, 30, limit):
        found.setdefault(query, "history")
    compact = normalized.replace(" ", "")
    for word in vocabulary(session).completions(compact, limit):
        found.setdefault(word, "word")
    return SuggestResult(
        prefix=prefix,
        items=[Suggestion(text=t, source=s) for t, s in list(found.items())[:limit]],  # type: ignore[arg-type]
    )


def hot_searches(session: Session, limit: int = 10) -> list[HotSearch]:
    """热搜: the most searched queries of the last week that found goods."""
    return [HotSearch(query=q, searches=n) for q, n in querylog.hot(session, 7, limit)]


def flush_query_log(session: Session) -> int:
    return querylog.LOG.flush(session)


def count_impressions(session: Session, shown: dict[int, int]) -> None:
    """Add feed and search impressions to products' counters (conversion reads them) and rerank."""
    from sqlalchemy import bindparam

    if not shown:
        return
    table: Any = SearchDoc.__table__
    session.execute(
        update(table)
        .where(table.c.kind == DocKind.PRODUCT, table.c.ref_id == bindparam("pid"))
        .values(impressions=table.c.impressions + bindparam("n"), indexed_at=change_stamp(session)),
        [{"pid": pid, "n": n} for pid, n in sorted(shown.items())],
    )
    indexing.rerank(session, DocKind.PRODUCT, shown)


def set_product_scores(session: Session, product_id: int, **scores: Any) -> None:
    """Store a product's scores (``scores.product_changed``) and rerank it."""
    session.execute(
        update(SearchDoc)
        .where(SearchDoc.kind == DocKind.PRODUCT, SearchDoc.ref_id == product_id)
        .values(**scores)
    )
    indexing.rerank(session, DocKind.PRODUCT, [product_id])


def set_shop_scores(session: Session, shop_id: int, **scores: Any) -> None:
    """Store a shop's scores on each of its documents (``scores.shop_changed``) and rerank them."""
    session.execute(
        update(SearchDoc)
        .where(SearchDoc.shop_id == shop_id)
        .values(**scores, indexed_at=change_stamp(session))
    )
    for kind in (DocKind.PRODUCT, DocKind.LIVE, DocKind.VIDEO):
        ids = session.scalars(
            select(SearchDoc.ref_id).where(SearchDoc.shop_id == shop_id, SearchDoc.kind == kind)
        )
        indexing.rerank(session, kind, list(ids))


def product_signals(session: Session, product_ids: Iterable[int]) -> dict[int, dict[str, object]]:
    """The stored ranking signals of products (the feed ranks with them)."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(SearchDoc).where(SearchDoc.kind == DocKind.PRODUCT, SearchDoc.ref_id.in_(ids))
    )
    return {d.ref_id: {c.name: getattr(d, c.name) for c in SearchDoc.__table__.columns} for (d,) in rows}


def product_hits(session: Session, product_ids: list[int]) -> list[ProductHit]:
    """Cards for these products in the order given, leaving out what buyers may not see or
    public traffic may not show (the mall's campaign and subsidy shelves)."""
    from datetime import timedelta

    found = {
        d.ref_id: d for d in docs(session, DocKind.PRODUCT, ref_ids=product_ids, limit=len(product_ids) or 1)
    }
    since = clock.now() - timedelta(days=NEW_SHOP_DAYS)
    return [
        ProductHit(
            id=d.ref_id,
            title=d.title,
            shop_id=d.shop_id or 0,
            shop_name=d.subtitle,
            min_price_fen=d.price_fen,
            original_price_fen=d.original_price_fen,
            cover_url=d.cover_url,
            sales_count=d.sales,
            free_shipping=d.free_shipping,
            pay_later=d.pay_later,
            in_stock=d.in_stock,
            shop_band=d.shop_band,
            new_shop=d.shop_opened_at is not None and d.shop_opened_at >= since,
        )
        for pid in product_ids
        if (d := found.get(pid)) is not None
    ]


def quality_of(doc: DocView) -> float:
    """Search's quality of a document in [0, 1] (product score, price, sales, DSR, conversion)."""
    from laotie.search import ranking

    sales = doc.sales if doc.kind == DocKind.PRODUCT else doc.popularity
    return ranking.quality(
        ranking.Signals(
            product_score=doc.product_score,
            price_index_bp=doc.price_index_bp,
            overpriced=doc.overpriced,
            sales=sales,
            orders=doc.orders,
            impressions=doc.impressions,
            dsr_x100=doc.dsr_x100,
        )
    )


def quality_parts(doc: DocView) -> dict[str, float]:
    """Each part of ``quality_of`` (the feed explains itself with them)."""
    from laotie.search import ranking

    return ranking.parts(
        ranking.Signals(
            product_score=doc.product_score,
            price_index_bp=doc.price_index_bp,
            sales=doc.sales if doc.kind == DocKind.PRODUCT else doc.popularity,
            orders=doc.orders,
            impressions=doc.impressions,
            dsr_x100=doc.dsr_x100,
        )
    )


def category_roots(session: Session) -> list[tuple[int, str]]:
    """The top-level categories (the mall's entrances)."""
    cats = category_cache.get(session)
    return [(c, cats.names[c]) for c in cats.roots]


def category_trail(session: Session, category_id: int) -> list[tuple[int, str]]:
    """From the root down to the category: (id, name) each."""
    cats = category_cache.get(session, need=category_id)
    return [(c, cats.names[c]) for c in cats.path(category_id)]


def category_children(session: Session, category_id: int | None) -> list[tuple[int, str]]:
    cats = category_cache.get(session)
    ids = cats.roots if category_id is None else cats.children.get(category_id, [])
    return [(c, cats.names[c]) for c in ids]
