"""The engine comparison behind ADR 0018: the same jieba-segmented titles in SQLite FTS5, PostgreSQL
full text and tantivy (an embedded Rust engine, from PyPI), queried the same way.

    python bench/search_engines.py --products 100000 --queries 1000 --json

Each engine gets the generated catalogue's titles (``search_data``), segmented once by the search
domain's segmenter, as whitespace-separated tokens; each query (the labelled set's, planned by the
search domain: words with their synonyms and pinyin readings) asks for the best 20 by the engine's
own relevance (bm25 / ts_rank) with every word required. Bare engines: no filters, no facets, no
ranking signals. Reports index build time, p50/p95 latency (wall and this thread's CPU) and index size.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from laotie.search import fts  # noqa: E402
from laotie.search import text as search_text  # noqa: E402
from laotie.search.plan import plan  # noqa: E402
from laotie.search.vocabulary import Vocabulary  # noqa: E402
from search_data import catalogue, load_queries  # noqa: E402

console = Console()
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DATABASE = "laotie_bench_engines"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(len(ordered) * q) - 1)], 3)


def _time(run: Any, queries: list[list[list[str]]]) -> dict[str, float]:
    for terms in queries[:30]:
        run(terms)
    wall, cpu = [], []
    for terms in queries:
        t, c = time.perf_counter(), time.thread_time()
        run(terms)
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
    return {
        "p50_ms": _pct(wall, 0.5),
        "p95_ms": _pct(wall, 0.95),
        "cpu_p50_ms": _pct(cpu, 0.5),
        "cpu_p95_ms": _pct(cpu, 0.95),
    }


def sqlite_engine(docs: list[str], queries: list[list[list[str]]], work: Path) -> dict[str, Any]:
    path = work / "fts.db"
    conn = sqlite3.connect(path)
    t = time.perf_counter()
    conn.execute("CREATE VIRTUAL TABLE f USING fts5(t, tokenize='ascii')")
    conn.executemany("INSERT INTO f(rowid, t) VALUES (?, ?)", enumerate(docs, 1))
    conn.commit()
    built = time.perf_counter() - t

    def run(terms: list[list[str]]) -> None:
        conn.execute(
            "SELECT rowid FROM f WHERE f MATCH ? ORDER BY bm25(f) LIMIT 20", (fts.sqlite_match(terms),)
        ).fetchall()

    out = {
        "build_seconds": round(built, 1),
        "size_mb": round(path.stat().st_size / 2**20, 1),
        **_time(run, queries),
    }
    conn.close()
    return out


def postgres_engine(docs: list[str], queries: list[list[list[str]]]) -> dict[str, Any]:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    engine = create_engine(POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{DATABASE}")
    t = time.perf_counter()
    with engine.begin() as c:
        c.execute(text("CREATE TABLE d (id bigint PRIMARY KEY, tokens text NOT NULL, tsv tsvector)"))
        c.execute(
            text("INSERT INTO d (id, tokens) VALUES (:i, :t)"),
            [{"i": i, "t": d} for i, d in enumerate(docs, 1)],
        )
        c.execute(
            text("UPDATE d SET tsv = array_to_tsvector(array_remove(string_to_array(tokens, ' '), ''))")
        )
        c.execute(text("CREATE INDEX ON d USING gin (tsv)"))
        c.execute(text("ANALYZE d"))
    built = time.perf_counter() - t
    with engine.connect() as c:
        size = c.execute(text("SELECT pg_total_relation_size('d')")).scalar() or 0

        def run(terms: list[list[str]]) -> None:
            c.execute(
                text(
                    "SELECT id FROM d WHERE tsv @@ CAST(:q AS tsquery) ORDER BY ts_rank(tsv, CAST(:q AS tsquery)) DESC LIMIT 20"
                ),
                {"q": fts.postgres_match(terms)},
            ).all()

        out = {"build_seconds": round(built, 1), "size_mb": round(size / 2**20, 1), **_time(run, queries)}
    engine.dispose()
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:  # leave no database behind
        c.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
    admin.dispose()
    return out


def tantivy_engine(docs: list[str], queries: list[list[list[str]]], work: Path) -> dict[str, Any]:
    try:
        import tantivy
    except ImportError:
        return {"error": "tantivy is not installed (pip install tantivy, a dev dependency)"}
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("t", stored=False, tokenizer_name="whitespace")
    builder.add_integer_field("id", stored=True, indexed=False)
    schema = builder.build()
    path = work / "tantivy"
    path.mkdir()
    index = tantivy.Index(schema, path=str(path))
    t = time.perf_counter()
    writer = index.writer(heap_size=64_000_000, num_threads=1)
    for i, d in enumerate(docs, 1):
        writer.add_document(tantivy.Document(t=d, id=i))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    built = time.perf_counter() - t
    searcher = index.searcher()

    def run(terms: list[list[str]]) -> None:
        must = [
            (
                tantivy.Occur.Must,
                tantivy.Query.boolean_query(
                    [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "t", a)) for a in alts]
                ),
            )
            for alts in terms
        ]
        searcher.search(tantivy.Query.boolean_query(must), 20)

    size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return {"build_seconds": round(built, 1), "size_mb": round(size / 2**20, 1), **_time(run, queries)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument(
        "--json",
        nargs="?",
        const="",
        default=None,
        help="write results (default bench/results/search-engines.json)",
    )
    parser.add_argument(
        "--database", default="laotie_bench_engines", help="the PostgreSQL database to (re)create"
    )
    args = parser.parse_args()
    global DATABASE
    DATABASE = args.database  # several checkouts may benchmark on one PostgreSQL
    seg = search_text.segmenter()
    t = time.perf_counter()
    docs = [" ".join(seg.doc_tokens(search_text.normalize(m.title))) for m in catalogue(args.products)]
    segmented = time.perf_counter() - t
    vocab = Vocabulary.build({})
    labelled = load_queries()
    planned = [[list(a) for a in plan(q["q"], vocab).terms] for q in labelled]
    queries = [planned[i % len(planned)] for i in range(args.queries) if planned[i % len(planned)]]
    work = Path(tempfile.mkdtemp(prefix="engines-"))
    try:
        results = {
            "sqlite_fts5": sqlite_engine(docs, queries, work),
            "postgresql": postgres_engine(docs, queries),
            "tantivy": tantivy_engine(docs, queries, work),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = Table(title=f"bare engines, {args.products:,} jieba-segmented titles, {len(queries)} queries")
    for col in ("engine", "build s", "size MB", "p50 ms", "p95 ms", "CPU p95 ms"):
        table.add_column(col, justify="right")
    for name, r in results.items():
        if "error" in r:
            table.add_row(name, r["error"], "", "", "", "")
            continue
        table.add_row(
            name,
            str(r["build_seconds"]),
            str(r["size_mb"]),
            str(r["p50_ms"]),
            str(r["p95_ms"]),
            str(r["cpu_p95_ms"]),
        )
    console.print(table)
    out = {
        "benchmark": "search_engines",
        "products": args.products,
        "queries": len(queries),
        "segmentation_seconds": round(segmented, 1),
        "load_average_at_end": [round(x, 1) for x in os.getloadavg()],
        "engines": results,
    }
    if args.json is not None:
        path = Path(args.json) if args.json else ROOT / "bench" / "results" / "search-engines.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
        console.print(f"written to {path}")


if __name__ == "__main__":
    main()
