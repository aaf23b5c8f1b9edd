"""The search index: one row per searchable thing (product, live session, short video).

``search_doc`` holds the segmented text and every column ranking and filters read, so a search
is one query. The full-text part lives beside it (``fts.py``): an FTS5 table kept in step by
triggers on SQLite, a ``tsvector`` column filled by a trigger and a GIN index on PostgreSQL. Both
are created with the table, so every API process on PostgreSQL sees the same index.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import BigInteger, Boolean, Date, Index, Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from laotie.core.db import Base, BigId, UTCDateTime

# PostgreSQL advisory lock that the writers of ``search_doc`` take, one at a time, until they commit.
WRITERS_LOCK = 0x5EA4C1D0C


def wall_clock() -> datetime:
    """The wall clock, never the platform's clock (which tests and the simulator move): every
    process's replica follows writes by it (``replica.py``)."""
    return datetime.now(UTC)


def change_stamp(session: Session) -> datetime:
    """What ``indexed_at`` is set to on a write in ``session``'s transaction.

    The replica rereads rows stamped since the newest stamp it saw, so a transaction must never commit
    a stamp older than one already visible: a slow writer that stamped first and committed last
    would stay hidden from every replica. So writers stamp one at a time, each holding the turn until
    it commits: on PostgreSQL a transaction-scoped advisory lock, taken once per transaction; on
    SQLite the write lock that every writing transaction takes at BEGIN IMMEDIATE."""
    connection = session.connection()  # the transaction has begun (and, on SQLite, holds the write lock)
    transaction = session.get_transaction()
    if connection.dialect.name == "postgresql" and session.info.get("search_writer") is not transaction:
        session.execute(select(func.pg_advisory_xact_lock(WRITERS_LOCK)))
        session.info["search_writer"] = transaction
    return wall_clock()


class DocKind:
    PRODUCT = "product"
    LIVE = "live"
    VIDEO = "video"


class SearchDoc(Base):
    __tablename__ = "search_doc"
    __table_args__ = (
        UniqueConstraint("kind", "ref_id"),
        Index("ix_search_doc_kind_visible_category_id", "kind", "visible", "category_id"),
        Index("ix_search_doc_kind_visible_rank_bp", "kind", "visible", "rank_bp"),
        Index("ix_search_doc_kind_visible_price_fen", "kind", "visible", "price_fen"),
        Index("ix_search_doc_kind_visible_sales", "kind", "visible", "sales"),
        Index("ix_search_doc_kind_visible_published_at", "kind", "visible", "published_at"),
        Index("ix_search_doc_shop_id_kind", "shop_id", "kind"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    ref_id: Mapped[int] = mapped_column(BigInteger)
    shop_id: Mapped[int | None] = mapped_column(BigInteger)
    author_id: Mapped[int | None] = mapped_column(BigInteger)
    category_id: Mapped[int | None] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(100))
    # Space-separated tokens (see ``text``): the title's, and the rest (category path, attribute
    # values, shop name, single characters) which weigh less.
    title_tokens: Mapped[str] = mapped_column(Text, default="")
    aux_tokens: Mapped[str] = mapped_column(Text, default="")
    subtitle: Mapped[str] = mapped_column(String(100), default="")  # shop or anchor name
    cover_url: Mapped[str | None] = mapped_column(String(200))
    price_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    original_price_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    sales: Mapped[int] = mapped_column(BigInteger, default=0)  # units paid for
    orders: Mapped[int] = mapped_column(BigInteger, default=0)  # paid orders with the product
    impressions: Mapped[int] = mapped_column(BigInteger, default=0)  # times shown in feed and search
    popularity: Mapped[int] = mapped_column(BigInteger, default=0)  # viewers of a live, plays of a video
    in_stock: Mapped[bool] = mapped_column(Boolean, default=True)
    free_shipping: Mapped[bool] = mapped_column(Boolean, default=False)
    pay_later: Mapped[bool] = mapped_column(Boolean, default=False)
    visible: Mapped[bool] = mapped_column(Boolean, default=False)  # on the shelf / on air / published
    # Consequences (``standing.traffic_for_products``), kept in step by its events.
    distributed: Mapped[bool] = mapped_column(Boolean, default=True)
    boosted: Mapped[bool] = mapped_column(Boolean, default=True)
    weight_bp: Mapped[int] = mapped_column(Integer, default=10_000)
    # Scores (``scores.product_changed`` / ``scores.shop_changed``); None: 暂无评分.
    product_score: Mapped[int | None] = mapped_column(Integer)
    price_index_bp: Mapped[int | None] = mapped_column(Integer)
    overpriced: Mapped[bool] = mapped_column(Boolean, default=False)
    rating_avg_x100: Mapped[int | None] = mapped_column(Integer)
    rating_count: Mapped[int] = mapped_column(Integer, default=0)
    dsr_x100: Mapped[int | None] = mapped_column(Integer)  # mean of the shop's three DSRs
    shop_band: Mapped[str | None] = mapped_column(String(10))
    shop_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Everything but the text, in one number (``ranking.rank_bp``): relevance is multiplied by it.
    rank_bp: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the row last changed (any column): each process's ranking cache rereads rows by it.
    indexed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SearchTerm(Base):
    """A word the index has learnt from titles, with how many documents use it (pinyin, typos,
    suggestions read it)."""

    __tablename__ = "search_term"

    term: Mapped[str] = mapped_column(String(30), primary_key=True)
    docs: Mapped[int] = mapped_column(Integer, default=0)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SearchQueryStat(Base):
    """How often a (normalised) query was searched on a day, and whether it found anything:
    hot searches and suggestions read it."""

    __tablename__ = "search_query_stat"
    __table_args__ = (Index("ix_search_query_stat_query_day", "query", "day"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    query: Mapped[str] = mapped_column(String(60), primary_key=True)
    searches: Mapped[int] = mapped_column(Integer, default=0)
    hits: Mapped[int] = mapped_column(Integer, default=0)  # searches that found something
