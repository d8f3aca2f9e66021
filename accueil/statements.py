"""The hot paths' statements: Core statements compiled once per dialect, run on the driver's cursor.

A check-in or a call runs about ten short statements. Through SQLAlchemy's execution path each
costs 60 to 90 µs inside a request on the 2-core machine, against 3 to 20 µs for the driver
to run it: the path, not the database, was most of a check-in's time (bench/checkin_http.py).
`Prepared` keeps what SQLAlchemy gives (the statement written in Core, its SQL for each engine,
each value's type conversion, the column defaults of an INSERT, its exceptions) and skips the
rest: the statement runs on the connection of the session's transaction, so it commits or rolls
back with everything else.

For statements whose values are plain (numbers, text, dates, bytes) and whose column defaults
are constants; anything else goes through ``Connection.execute`` as usual.
"""
from __future__ import annotations

from collections import namedtuple
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.sql.dml import Insert


class _Plan:
    """One statement compiled for one dialect (and, for an INSERT, one set of columns)."""

    __slots__ = ("sql", "positional", "names", "binds", "defaults", "row", "results")

    def __init__(self, statement, dialect, keys: tuple[str, ...] | None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys) if keys is not None else None)
        self.sql = compiled.string
        self.positional = dialect.positional
        self.names = tuple(compiled.positiontup) if dialect.positional else None
        self.binds = {}  # bind name -> (the bind, its type conversion or None)
        for name, bind in compiled.binds.items():
            if bind.expanding:
                raise TypeError(f"{name}: expanding IN lists are not prepared here")
            self.binds[name] = (bind, bind.type.dialect_impl(dialect).bind_processor(dialect))
        # An INSERT's columns left out of the values take their constant default (Column(default=...)).
        self.defaults = {}
        for column in getattr(compiled, "insert_prefetch", ()) or ():
            if not column.default.is_scalar:
                raise TypeError(f"{column}: only constant defaults can be prefetched here")
            self.defaults[column.key] = column.default.arg
        if getattr(compiled, "update_prefetch", None):
            raise TypeError("UPDATE with Python-side onupdate values: use Connection.execute")
        columns = list(statement.exported_columns)  # a SELECT's columns, a DML statement's RETURNING
        self.row = namedtuple("Row", [c.key for c in columns], rename=True) if columns else None
        self.results = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]

    def values(self, params: dict[str, Any]):
        """The driver's parameters for *params*, converted as SQLAlchemy would."""
        out = {}
        for name, (bind, processor) in self.binds.items():
            if name in params:
                value = params[name]
            elif name in self.defaults:
                value = self.defaults[name]
            elif bind.required:
                raise ArgumentError(f"a value is required for bind parameter {name!r}")
            else:
                value = bind.effective_value  # a constant of the statement (LIMIT 1)
            out[name] = processor(value) if processor is not None else value
        return [out[name] for name in self.names] if self.positional else out

    def rows(self, raw: list[tuple]) -> list:
        results = self.results
        if any(results):
            raw = [tuple(p(v) if p is not None else v for p, v in zip(results, r)) for r in raw]
        return [self.row._make(r) for r in raw]


class Prepared:
    """A Core statement run on the driver's cursor of a SQLAlchemy connection (see the module's text).

    Rows are named tuples (``row.id``, ``row._asdict()``). Errors are SQLAlchemy's own
    (``IntegrityError`` for a unique key taken), with the parameters hidden: they may hold
    personal data, which never reaches a log line.
    """

    def __init__(self, statement) -> None:
        self.statement = statement
        # An INSERT is compiled for the columns each call gives (SQLAlchemy's own rule); others once.
        self._by_columns = isinstance(statement, Insert)
        self._plans: dict[tuple, _Plan] = {}

    def _plan(self, dialect, params: dict) -> _Plan:
        keys = tuple(sorted(params)) if self._by_columns else None
        plan = self._plans.get((dialect.name, keys))
        if plan is None:
            plan = self._plans[(dialect.name, keys)] = _Plan(self.statement, dialect, keys)
        return plan

    def run(self, conn: Connection, params: dict | None = None) -> list:
        """Run the statement in *conn*'s transaction; return its rows (none for a statement without)."""
        params = params or {}
        dialect = conn.dialect
        plan = self._plan(dialect, params)
        values = plan.values(params)
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.execute(plan.sql, values)
            raw = cursor.fetchall() if plan.row is not None else []
        except dialect.loaded_dbapi.Error as err:
            raise DBAPIError.instance(plan.sql, None, err, dialect.loaded_dbapi.Error, hide_parameters=True,
                                      dialect=dialect) from err
        finally:
            cursor.close()
        return plan.rows(raw) if raw else []

    def first(self, conn: Connection, params: dict | None = None):
        """The first row, or None."""
        rows = self.run(conn, params)
        return rows[0] if rows else None

    def scalar(self, conn: Connection, params: dict | None = None):
        """The first column of the first row, or None."""
        rows = self.run(conn, params)
        return rows[0][0] if rows else None
