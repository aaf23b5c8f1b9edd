from __future__ import annotations

from typing import Any

from alembic import context

from laotie.core.db import make_engine
from laotie.migrations.registry import metadata
from laotie.search import fts

config = context.config


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Leave alone what the models do not describe: search's full-text table, column and index
    (``laotie.search.fts``), made by raw DDL beside ``search_doc``."""
    if type_ == "table":
        return not (name or "").startswith(fts.IGNORED_TABLE_PREFIX)
    if type_ == "column":
        return (parent_names.get("table_name"), name) not in fts.IGNORED_COLUMNS
    if type_ == "index":
        return name not in fts.IGNORED_INDEXES
    return True


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not set"
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            # SQLite alters tables by copying them; batch mode does that for us.
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
