"""A SELECT on the hottest public reads, compiled once per dialect and run on the driver's cursor.

SQLAlchemy's ``Connection.execute`` of a cached, indexed one-row lookup spends most of its time in
Python around the driver: the compiled-cache key walk, the execution context, the result's
metadata (measured for the product detail's two statements on SQLite: 0.114 ms through
``Connection.execute``, 0.014 ms on the ``sqlite3`` cursor; docs/benchmarks.md, issue 15). Here
the statement is compiled by SQLAlchemy once per dialect (its SQL, its constants' bound values,
its columns' result processors), and each call only fills in the named parameters, runs the
driver's ``execute`` and applies the same result processors SQLAlchemy would, so rows come back
as they would through the ORM (JSON decoded, aware datetimes), as named tuples.

Only for reads whose statement is fixed at import time: no expanding parameters given per call, no
events (``before_cursor_execute`` listeners do not see these statements), nothing that writes. The
caller's connection and its transaction are used as they are (a bare ``Connection`` should have
begun one: the driver's ``execute`` does not start SQLAlchemy's).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class _Compiled:
    sql: str
    template: dict[str, Any]  # every parameter's bound value; the per-call ones are replaced
    binds: tuple[tuple[str, Callable[[Any], Any]], ...]  # per-call parameters' bind processors
    order: tuple[str, ...] | None  # positional drivers (SQLite): the parameters' order
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column, result processor)
    row: Any  # a namedtuple class


class DriverSelect:
    """``statement`` run as ``rows(reader, **params)``; ``params`` names the statement's
    non-expanding bind parameters, each given a value on every call (bound as SQLAlchemy binds it)."""

    def __init__(self, statement: Select[Any], params: tuple[str, ...]) -> None:
        self._statement = statement
        self._params = params
        self._by_dialect: dict[str, _Compiled] = {}

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self._statement.compile(dialect=dialect)
        # Any value for the per-call parameters: expanding the constants' IN lists needs one.
        expanded = compiled.construct_expanded_state(dict.fromkeys(self._params, 0))
        binds = compiled._bind_processors
        template = {}
        for name, value in expanded.parameters.items():
            bind = binds.get(name)
            template[name] = bind(value) if callable(bind) and name not in self._params else value
        per_call = tuple((name, bind) for name in self._params if callable(bind := binds.get(name)))
        processors = tuple(
            (i, processor)
            for i, column in enumerate(compiled._result_columns)
            if (processor := column.type._cached_result_processor(dialect, None)) is not None
        )
        names = [column.keyname for column in compiled._result_columns]
        return _Compiled(
            sql=expanded.statement,
            template=template,
            binds=per_call,
            order=tuple(expanded.positiontup) if expanded.positiontup is not None else None,
            processors=processors,
            row=namedtuple("Row", names, rename=True),  # type: ignore[misc]
        )

    def rows(self, reader: Session | Connection, **params: Any) -> list[Any]:
        connection = reader.connection() if isinstance(reader, Session) else reader
        dialect = connection.dialect
        key = f"{dialect.name}+{dialect.driver}"
        compiled = self._by_dialect.get(key)
        if compiled is None:
            compiled = self._by_dialect[key] = self._compile(dialect)
        values = {**compiled.template, **params}
        for name, bind in compiled.binds:  # a datetime as the column stores it, say
            values[name] = bind(values[name])
        bound: Any = [values[name] for name in compiled.order] if compiled.order is not None else values
        driver = connection.connection.driver_connection
        assert driver is not None
        fetched = driver.execute(compiled.sql, bound).fetchall()
        if not compiled.processors:
            return [compiled.row._make(row) for row in fetched]
        made = []
        for row in fetched:
            values_of = list(row)
            for i, processor in compiled.processors:
                values_of[i] = processor(values_of[i])
            made.append(compiled.row._make(values_of))
        return made
