"""Statements built once and run cheaply: the room operations' hot queries.

A :class:`Statement` wraps a SQLAlchemy Core statement whose values are all bound parameters. On
PostgreSQL it runs through SQLAlchemy as usual (built once, its cache key is computed once). On SQLite
it is compiled once to SQL text and run on the sqlite3 connection under the transaction, with the
column types' conversions applied: a SQLAlchemy execution costs tens of microseconds, a sqlite3 one a
few. Either way it runs inside the caller's transaction and raises SQLAlchemy's exceptions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import Compiled

from roomservice.store.database import sqlite_of

Processor = Callable[[Any], Any] | None


class _SQLiteForm:
    """A statement compiled for SQLite: its text, parameter order and value conversions."""

    __slots__ = ("binds", "converted", "names", "results", "sql", "values_of")

    def __init__(self, compiled: Compiled, dialect: Dialect, results: Sequence[Processor]) -> None:
        self.sql = str(compiled)
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())  # type: ignore[attr-defined]
        self.binds: tuple[Processor, ...] = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)  # type: ignore[attr-defined]
            for name in self.names
        )
        self.results = tuple(results)
        #: A parameter set's values in the statement's order, as a tuple (picked in C, not a loop).
        self.values_of: Callable[[dict[str, Any]], tuple[Any, ...]] = (
            itemgetter(*self.names) if len(self.names) > 1 else lambda one: tuple(one[n] for n in self.names)
        )
        #: The positions whose values a column type converts, and how.
        self.converted = tuple((i, p) for i, p in enumerate(self.binds) if p is not None)


class Statement:
    """One statement, bound by name: ``await stmt.rows(conn, code="ABC123")``."""

    __slots__ = ("_sqlite", "statement")

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._sqlite: _SQLiteForm | None = None

    def _sqlite_form(self, dialect: Dialect) -> _SQLiteForm:
        form = self._sqlite
        if form is None:
            compiled = self.statement.compile(dialect=dialect)  # type: ignore[attr-defined]
            columns = getattr(self.statement, "selected_columns", ())
            results = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
            form = self._sqlite = _SQLiteForm(compiled, dialect, results)
        return form

    async def rows(self, conn: AsyncConnection, **params: Any) -> list[tuple[Any, ...]]:
        """Run it and return every row as a tuple, in the statement's column order."""
        raw = sqlite_of(conn)
        if raw is None:
            return [tuple(row) for row in await conn.execute(self.statement, params)]
        form = self._sqlite_form(conn.dialect)
        rows = self._run_sqlite(raw, form, params).fetchall()
        if any(form.results):
            return [
                tuple(value if p is None else p(value) for p, value in zip(form.results, row, strict=True))
                for row in rows
            ]
        return rows

    async def first(self, conn: AsyncConnection, **params: Any) -> tuple[Any, ...] | None:
        found = await self.rows(conn, **params)
        return found[0] if found else None

    async def run(self, conn: AsyncConnection, **params: Any) -> int:
        """Run a statement that returns no rows; the number of rows it changed."""
        raw = sqlite_of(conn)
        if raw is None:
            return (await conn.execute(self.statement, params)).rowcount
        return self._run_sqlite(raw, self._sqlite_form(conn.dialect), params).rowcount

    async def many(self, conn: AsyncConnection, params: Sequence[dict[str, Any]]) -> None:
        """Run it once for each parameter set, in one call (``executemany``)."""
        raw = sqlite_of(conn)
        if raw is None:
            await conn.execute(self.statement, list(params))
            return
        form = self._sqlite_form(conn.dialect)
        # Picked out in C, then converted a column at a time: one Python step per converted value
        # instead of one per value, for the journal's hundreds of rows a write.
        values_of = form.values_of
        values: list[Any]
        if form.converted:
            values = [list(values_of(one)) for one in params]
            for i, convert in form.converted:
                for row in values:
                    row[i] = convert(row[i])
        else:
            values = [values_of(one) for one in params]
        if not raw.in_transaction:
            raise exc.InvalidRequestError("store.sql statements run inside a transaction")
        try:
            raw.executemany(form.sql, values)
        except sqlite3.Error as error:
            raise exc.DBAPIError.instance(form.sql, values, error, sqlite3.Error) from error

    @staticmethod
    def _run_sqlite(raw: sqlite3.Connection, form: _SQLiteForm, params: dict[str, Any]) -> sqlite3.Cursor:
        values = [
            params[name] if p is None else p(params[name])
            for name, p in zip(form.names, form.binds, strict=True)
        ]
        if not raw.in_transaction:
            # Outside BEGIN, sqlite3 would commit each statement on its own.
            raise exc.InvalidRequestError("store.sql statements run inside a transaction")
        try:
            return raw.execute(form.sql, values)
        except sqlite3.Error as error:
            raise exc.DBAPIError.instance(form.sql, values, error, sqlite3.Error) from error
