"""The full-text part of the index, per database, and the match expressions queries use.

SQLite: an external-content FTS5 table ``search_fts(title_tokens, aux_tokens)`` over ``search_doc`` with the
``ascii`` tokenizer (our tokens are already cut and cleaned: spaces separate them, every non-ASCII
character is part of a token), kept in step by triggers on insert, update and delete.

PostgreSQL: a ``tsv`` column on ``search_doc`` that a trigger fills from the same token strings
in tsvector's input syntax (the lexemes are taken verbatim, no parser or stemming in between,
so both databases match the same tokens), weight A for the title and B for the rest, and a GIN index.

Both are made right after ``search_doc`` is created (``metadata.create_all`` in the tests, the
migration in production). Alembic's comparison skips them (``IGNORED`` in ``migrations/env.py``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, event

from laotie.search.models import SearchDoc

# Names that are not models: the migration check leaves them alone.
IGNORED_TABLE_PREFIX = "search_fts"
IGNORED_COLUMNS = {("search_doc", "tsv")}
IGNORED_INDEXES = {"ix_search_doc_tsv"}

TITLE_WEIGHT = 4.0  # bm25 weight of the title against the rest, SQLite
SQLITE_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(title_tokens, aux_tokens, "
    "content='search_doc', content_rowid='id', tokenize='ascii')",
    "CREATE TRIGGER IF NOT EXISTS search_doc_ai AFTER INSERT ON search_doc BEGIN "
    "INSERT INTO search_fts(rowid, title_tokens, aux_tokens) VALUES (new.id, new.title_tokens, new.aux_tokens); END",
    "CREATE TRIGGER IF NOT EXISTS search_doc_ad AFTER DELETE ON search_doc BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title_tokens, aux_tokens) "
    "VALUES ('delete', old.id, old.title_tokens, old.aux_tokens); END",
    "CREATE TRIGGER IF NOT EXISTS search_doc_au AFTER UPDATE OF title_tokens, aux_tokens ON search_doc "
    "BEGIN INSERT INTO search_fts(search_fts, rowid, title_tokens, aux_tokens) "
    "VALUES ('delete', old.id, old.title_tokens, old.aux_tokens); "
    "INSERT INTO search_fts(rowid, title_tokens, aux_tokens) VALUES (new.id, new.title_tokens, new.aux_tokens); END",
)
POSTGRES_DDL = (
    "ALTER TABLE search_doc ADD COLUMN IF NOT EXISTS tsv tsvector",
    # Lexemes verbatim, each with a position and a weight (A title, B the rest), written in
    # tsvector's input syntax, 'word':1A (our tokens hold no quote or backslash).
    "CREATE OR REPLACE FUNCTION search_doc_tsv() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "NEW.tsv := coalesce((SELECT string_agg(quote_literal(t) || ':' || i || 'A', ' ') "
    "FROM unnest(array_remove(string_to_array(NEW.title_tokens, ' '), '')) WITH ORDINALITY AS x(t, i)), '')"
    "::tsvector || coalesce((SELECT string_agg(quote_literal(t) || ':' || (i + 1000) || 'B', ' ') "
    "FROM unnest(array_remove(string_to_array(NEW.aux_tokens, ' '), '')) WITH ORDINALITY AS x(t, i)), '')"
    "::tsvector; RETURN NEW; END $$",
    "DROP TRIGGER IF EXISTS search_doc_tsv ON search_doc",
    "CREATE TRIGGER search_doc_tsv BEFORE INSERT OR UPDATE OF title_tokens, aux_tokens ON search_doc "
    "FOR EACH ROW EXECUTE FUNCTION search_doc_tsv()",
    "CREATE INDEX IF NOT EXISTS ix_search_doc_tsv ON search_doc USING gin (tsv)",
)


def ddl(dialect: str) -> tuple[str, ...]:
    return SQLITE_DDL if dialect == "sqlite" else POSTGRES_DDL


@event.listens_for(SearchDoc.__table__, "after_create")
def _create_full_text(target: Table, connection: Connection, **_: Any) -> None:
    for statement in ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)


# --- match expressions ---------------------------------------------------------------------------
# A query is a list of terms, each a list of alternative tokens; every term must match (AND), any
# alternative will do (OR). ``any_term`` relaxes to "any term" when nothing matches every term.
# Tokens are made only of [0-9a-z] and CJK ideographs (``text.tokens_of``), so quoting them is safe.


def sqlite_match(terms: list[list[str]], *, any_term: bool = False) -> str:
    groups = ["(" + " OR ".join(f'"{t}"' for t in alts) + ")" for alts in terms if alts]
    return (" OR " if any_term else " AND ").join(groups)


def postgres_match(terms: list[list[str]], *, any_term: bool = False) -> str:
    groups = ["(" + " | ".join(f"'{t}'" for t in alts) + ")" for alts in terms if alts]
    return (" | " if any_term else " & ").join(groups)
