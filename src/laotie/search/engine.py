"""Running a search: filters, the full-text match per database, ranking, sorts, facets.

One query pages the results, one more counts them with every facet (category, shop band, price
spread, 包邮, 先用后付, in stock) grouped in the database. Without words (a shelf page, an emoji-only
query) the same filters and sorts run over the index without the full-text match, ranked by
``rank_bp`` alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from laotie.core import clock
from laotie.core.money import format_yuan
from laotie.search import fts
from laotie.search.categorymap import CategoryMap
from laotie.search.models import DocKind
from laotie.search.schemas import (
    BAND_LABELS,
    ContentHit,
    Facets,
    FacetValue,
    Filters,
    PriceRange,
    ProductHit,
)

NEW_SHOP_DAYS = 30
RERANK_WINDOW = 200
SYNONYM_IN_TITLE = 0.8
ELSEWHERE = 0.35
HEAD_IN_CATEGORY = 0.9
HEAD_WEIGHT = 2.0
_COLUMNS = (
    "d.ref_id, d.title, d.shop_id, d.subtitle, d.price_fen, d.original_price_fen, d.cover_url, d.sales, "
    "d.free_shipping, d.pay_later, d.in_stock, d.shop_band, d.shop_opened_at"
)
_ORDER = {
    "sales": "d.sales DESC, d.rank_bp DESC, d.id DESC",
    "price_asc": "d.price_fen ASC, d.rank_bp DESC, d.id DESC",
    "price_desc": "d.price_fen DESC, d.rank_bp DESC, d.id DESC",
    "new": "d.published_at DESC, d.id DESC",
    "browse": "d.rank_bp DESC, d.sales DESC, d.id DESC",
}


@dataclass
class Query:
    """A statement's FROM and WHERE, and its parameters."""

    dialect: str
    kind: str
    terms: list[list[str]] = field(default_factory=list)
    heads: list[bool] = field(default_factory=list)
    any_term: bool = False
    filters: Filters = field(default_factory=Filters)
    categories: set[int] | None = None  # the category filter's branch
    where: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    expanding: set[str] = field(default_factory=set)

    @property
    def matching(self) -> bool:
        return bool(self.terms)

    def from_where(self, ranked: bool = False) -> str:
        conditions = ["d.kind = :kind", "d.visible = :yes", "d.distributed = :yes", *self.where]
        if self.matching and self.dialect == "sqlite":
            # FTS5 computes bm25 only while it drives the scan: match in a subquery, join the rows.
            rel = f", bm25(search_fts, {fts.TITLE_WEIGHT}, 1.0) AS rel" if ranked else ""
            # CROSS JOIN keeps SQLite from driving the scan with a filter's index and running the
            # full-text match once per row: the matches come first, then their rows by id.
            source = (
                f"(SELECT rowid AS doc_id{rel} FROM search_fts WHERE search_fts MATCH :m) f "
                "CROSS JOIN search_doc d ON d.id = f.doc_id"
            )
        elif self.matching:
            conditions.insert(0, "d.tsv @@ CAST(:m AS tsquery)")
            source = "search_doc d"
        else:
            source = "search_doc d"
        return f"FROM {source} WHERE " + " AND ".join(conditions)

    def bound(self) -> dict[str, Any]:
        params = {"kind": self.kind, "yes": True, **self.params}
        if self.matching:
            build = fts.sqlite_match if self.dialect == "sqlite" else fts.postgres_match
            params["m"] = build(self.terms, any_term=self.any_term)
        return params

    def statement(self, sql: str) -> Any:
        stmt = text(sql)
        for name in self.expanding:
            stmt = stmt.bindparams(bindparam(name, expanding=True))
        return stmt

    def relevance_order(self) -> str:
        if not self.matching:
            return _ORDER["browse"]
        if self.dialect == "sqlite":
            return "f.rel * d.rank_bp ASC, d.id DESC"
        return "ts_rank(d.tsv, CAST(:m AS tsquery)) * d.rank_bp DESC, d.id DESC"


def build(
    session: Session,
    kind: str,
    terms: list[list[str]],
    filters: Filters,
    cats: CategoryMap | None,
    heads: list[bool] | None = None,
) -> Query:
    q = Query(
        dialect=session.get_bind().dialect.name,
        kind=kind,
        terms=terms,
        heads=list(heads or []),
        filters=filters,
    )
    if filters.category_id is not None and cats is not None:
        q.categories = set(cats.branch(filters.category_id))
        q.where.append("d.category_id IN :cats")
        q.params["cats"] = cats.branch(filters.category_id)
        q.expanding.add("cats")
    if filters.shop_id is not None:
        q.where.append("d.shop_id = :shop")
        q.params["shop"] = filters.shop_id
    low, high = filters.price_range()
    if low is not None:
        q.where.append("d.price_fen >= :low")
        q.params["low"] = low
    if high is not None:
        q.where.append("d.price_fen <= :high")
        q.params["high"] = high
    for flag in ("free_shipping", "pay_later", "in_stock"):
        if getattr(filters, flag):
            q.where.append(f"d.{flag} = :yes")
    if filters.shop_band is not None:
        q.where.append("d.shop_band = :band")
        q.params["band"] = filters.shop_band
    if filters.new_shops_since is not None:
        q.where.append("d.shop_opened_at >= :since")
        q.params["since"] = filters.new_shops_since
    return q


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=clock.now().tzinfo)


def hit_of(row: Any, new_since: datetime) -> ProductHit:
    opened = _aware(row[12])
    return ProductHit(
        id=row[0],
        title=row[1],
        shop_id=row[2] or 0,
        shop_name=row[3],
        min_price_fen=row[4],
        original_price_fen=row[5],
        cover_url=row[6],
        sales_count=row[7],
        free_shipping=bool(row[8]),
        pay_later=bool(row[9]),
        in_stock=bool(row[10]),
        shop_band=row[11],
        new_shop=opened is not None and opened >= new_since,
    )


def text_score(
    title_tokens: str, aux_tokens: str, terms: list[list[str]], heads: list[bool] | None = None
) -> float:
    """How well a document's text answers the terms, the same on both databases. Per term: the
    word as typed in the title counts 1, a synonym or pinyin reading of it in the title
    ``SYNONYM_IN_TITLE``, any of them only in the category, attributes or shop ``ELSEWHERE``. A
    product-type term (the head: 袜子 in 军绿袜子) weighs ``HEAD_WEIGHT``; found in the category path
    it counts nearly as in the title (the product *is* one), and both together a little more."""
    if not terms:
        return 1.0
    heads = heads or [False] * len(terms)
    title, aux = set(title_tokens.split()), set(aux_tokens.split())
    total = weights = 0.0
    for alts, head in zip(terms, heads, strict=False):
        in_aux = any(a in aux for a in alts)
        if alts[0] in title:
            got = 1.0
        elif any(a in title for a in alts[1:]):
            got = SYNONYM_IN_TITLE
        elif in_aux:
            got = HEAD_IN_CATEGORY if head else ELSEWHERE
        else:
            got = 0.0
        if head and got and in_aux and got < HEAD_IN_CATEGORY + 0.2:
            got += 0.2  # titled so and filed under it
        weight = HEAD_WEIGHT if head else 1.0
        total += weight * got
        weights += weight
    return total / weights


def page(session: Session, q: Query, sort: str, limit: int, offset: int) -> list[ProductHit]:
    ranked = sort == "relevance"
    since = clock.now() - timedelta(days=NEW_SHOP_DAYS)
    if ranked and q.matching and offset + limit <= RERANK_WINDOW:
        # The first pages: the database's best RERANK_WINDOW by its own relevance (bm25 on SQLite,
        # ts_rank on PostgreSQL) times rank_bp, reordered by ``text_score`` times rank_bp.
        sql = (
            f"SELECT {_COLUMNS}, d.rank_bp, d.title_tokens, d.aux_tokens {q.from_where(True)} "
            f"ORDER BY {q.relevance_order()} LIMIT :limit"
        )
        rows = session.execute(q.statement(sql), {**q.bound(), "limit": RERANK_WINDOW}).all()
        scored = sorted(
            enumerate(rows),
            key=lambda ir: (-text_score(ir[1][14], ir[1][15], q.terms, q.heads) * ir[1][13], ir[0]),
        )
        return [hit_of(r, since) for _, r in scored[offset : offset + limit]]
    order = q.relevance_order() if ranked else _ORDER[sort]
    sql = f"SELECT {_COLUMNS} {q.from_where(ranked)} ORDER BY {order} LIMIT :limit OFFSET :offset"
    rows = session.execute(q.statement(sql), {**q.bound(), "limit": limit, "offset": offset}).all()
    return [hit_of(r, since) for r in rows]


def count(session: Session, q: Query) -> int:
    return int(session.execute(q.statement(f"SELECT count(*) {q.from_where()}"), q.bound()).scalar() or 0)


def _nice(fen: float) -> int:
    """A round price near ``fen`` (¥9, ¥50, ¥200 …), for price-range facets."""
    yuan = max(fen / 100, 1)
    step = 10 ** max(int(math.log10(yuan)) - 1, 0)
    return int(round(yuan / step) * step) * 100


def _price_ranges(low: int, high: int) -> list[PriceRange]:
    if high <= low or high <= 0:
        return []
    a = max(low, 100)
    edges = sorted({_nice(a * (high / a) ** (k / 3)) for k in (1, 2)})
    edges = [e for e in edges if low < e < high]
    ranges, start = [], 0
    for edge in edges:
        ranges.append(
            PriceRange(min_fen=start, max_fen=edge, label=f"{format_yuan(start)}-{format_yuan(edge)}")
        )
        start = edge
    ranges.append(PriceRange(min_fen=start, max_fen=None, label=f"{format_yuan(start)}以上"))
    return ranges if len(ranges) > 1 else []


def facets(session: Session, q: Query, cats: CategoryMap | None, under: int | None) -> tuple[int, Facets]:
    """The total and every facet of the results, from one grouped query."""
    sql = (
        "SELECT d.category_id, d.shop_band, count(*), "
        "sum(CASE WHEN d.free_shipping THEN 1 ELSE 0 END), sum(CASE WHEN d.pay_later THEN 1 ELSE 0 END), "
        "sum(CASE WHEN d.in_stock THEN 1 ELSE 0 END), min(d.price_fen), max(d.price_fen) "
        f"{q.from_where()} GROUP BY d.category_id, d.shop_band"
    )
    return facets_of(session.execute(q.statement(sql), q.bound()).all(), cats, under)


def facets_of(groups: Any, cats: CategoryMap | None, under: int | None) -> tuple[int, Facets]:
    """Facets from (category, band, count, 包邮, 先用后付, in stock, lowest, highest price) groups."""
    total, free, later, stock = 0, 0, 0, 0
    low, high = None, None
    by_cat: dict[int, int] = {}
    by_band: dict[str, int] = {}
    for cat, band, n, f, p, s, lo, hi in groups:
        total += n
        free, later, stock = free + int(f or 0), later + int(p or 0), stock + int(s or 0)
        low = lo if low is None else min(low, lo)
        high = hi if high is None else max(high, hi)
        if cat and cats is not None:
            child = cats.child_towards(under, cat)
            if child is not None and child != under:
                by_cat[child] = by_cat.get(child, 0) + n
        if band:
            by_band[band] = by_band.get(band, 0) + n
    names = cats.names if cats else {}
    return total, Facets(
        categories=[
            FacetValue(value=str(c), label=names.get(c, str(c)), count=n)
            for c, n in sorted(by_cat.items(), key=lambda kv: -kv[1])[:20]
        ],
        shop_bands=[
            FacetValue(value=b, label=BAND_LABELS.get(b, b), count=n)
            for b, n in sorted(
                by_band.items(), key=lambda kv: list(BAND_LABELS).index(kv[0]) if kv[0] in BAND_LABELS else 9
            )
        ],
        price_ranges=_price_ranges(int(low or 0), int(high or 0)),
        free_shipping=free,
        pay_later=later,
        in_stock=stock,
    )


def content(session: Session, q: Query, limit: int) -> list[ContentHit]:
    order = q.relevance_order() if q.matching else "d.popularity DESC, d.published_at DESC, d.id DESC"
    sql = (
        "SELECT d.ref_id, d.title, d.subtitle, d.cover_url, d.shop_id, d.popularity, d.published_at "
        f"{q.from_where(q.matching)} ORDER BY {order} LIMIT :limit"
    )
    rows = session.execute(q.statement(sql), {**q.bound(), "limit": limit}).all()
    kind: Literal["live", "video"] = "live" if q.kind == DocKind.LIVE else "video"
    return [
        ContentHit(
            kind=kind,
            id=r[0],
            title=r[1],
            subtitle=r[2],
            cover_url=r[3],
            shop_id=r[4],
            popularity=r[5],
            published_at=_aware(r[6]),
        )
        for r in rows
    ]
