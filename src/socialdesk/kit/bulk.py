"""Many rows in few statements, on SQLite and PostgreSQL: the ingest paths (inbox sync, listening).

On PostgreSQL the rows go through psycopg's own ``executemany`` (one prepared statement, pipelined).
SQLAlchemy's multi-row VALUES made psycopg re-parse a statement of thousands of placeholders per page,
and an IN-list of hundreds of values is a statement psycopg does not cache either: both were most of
the CPU of a PostgreSQL ingest (bench/inbox_ingest.py, bench/listening_ingest.py).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from contextlib import contextmanager

from sqlalchemy import JSON, Table, any_, bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement
from sqlalchemy.types import ARRAY


def on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def any_of(session: Session, column, values: Sequence) -> ColumnElement[bool]:
    """``column IN (values)``: on PostgreSQL ``column = ANY(:array)``, one parameter whatever the count."""
    if on_postgresql(session):
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


@contextmanager
def custom_plans(session: Session):
    """Statements run inside are planned for their own values each time, on PostgreSQL. psycopg prepares a
    statement run five times, and PostgreSQL may then keep one generic plan for it, chosen while the table
    was small and never revisited until the table is analysed: a look-up of 1,000 remote ids among one
    source's rows (``= ANY``) then read every row of the source and compared it with each id, and a
    listening ingest slowed as its table grew. Planned each time, the ids form a hashed constant and the
    plan follows the table. For the look-ups of an ingest, not its inserts (their foreign-key checks
    gain from the prepared plans)."""
    if not on_postgresql(session):
        yield
        return
    connection = session.connection().connection.driver_connection
    saved, connection.prepare_threshold = connection.prepare_threshold, None
    try:
        yield
    finally:
        connection.prepare_threshold = saved


def insert_rows(session: Session, table: Table, rows: list[dict], *, returning: tuple[str, ...] = (),
                skip_conflicts: bool = False) -> list[tuple]:
    """INSERT many rows (all with the same keys); the ``returning`` columns of the rows inserted, in the
    order of ``rows`` on PostgreSQL (SQLite: in no promised order). ``skip_conflicts``: ON CONFLICT DO
    NOTHING, so a row already there is not returned (a row breaking another constraint is an error).
    Errors are SQLAlchemy's (``IntegrityError``...), as from ``session.execute``."""
    if not rows:
        return []
    names = list(rows[0])
    head = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES "
    conflicts = " ON CONFLICT DO NOTHING" if skip_conflicts else ""
    tail = conflicts + (f" RETURNING {', '.join(returning)}" if returning else "")
    if not on_postgresql(session):
        return _insert_sqlite(session, table, rows, names, head, conflicts, tail, returning)
    casts = ["::json" if isinstance(table.c[n].type, JSON) else "" for n in names]
    sql = head + f"({', '.join('%s' + c for c in casts)})" + tail
    params = [[json.dumps(row[n]) if c else row[n] for n, c in zip(names, casts, strict=True)] for row in rows]
    with _driver_cursor(session, sql) as cursor:
        cursor.executemany(sql, params, returning=bool(returning))
        out: list[tuple] = []
        if returning:
            for _ in cursor.results():
                out.extend(cursor.fetchall())
        return out


def _insert_sqlite(session: Session, table: Table, rows: list[dict], names: list[str], head: str,
                   conflicts: str, tail: str, returning: tuple[str, ...]) -> list[tuple]:
    """The rows converted column by column with each column type's own bind processor (what SQLAlchemy
    would send) and handed to sqlite3 as tuples: SQLAlchemy's per-row parameter handling was most of the
    time of a listening ingest's write transaction. With ``returning``, multi-row VALUES pages (sqlite3's
    executemany returns no rows)."""
    dialect = session.get_bind().dialect
    columns = []
    for name in names:
        values = [row[name] for row in rows]
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)  # SQLite's own DateTime
        columns.append(values if process is None else [process(v) for v in values])
    params = list(zip(*columns, strict=True))
    one = "(" + ", ".join("?" * len(names)) + ")"
    with _driver_cursor(session, head + one + tail) as cursor:
        if not returning:
            cursor.executemany(head + one + conflicts, params)
            return []
        page = max(1, min(500, _SQLITE_VARIABLES // len(names)))
        out: list[tuple] = []
        for start in range(0, len(params), page):
            chunk = params[start:start + page]
            cursor.execute(head + ", ".join([one] * len(chunk)) + tail, [v for row in chunk for v in row])
            out.extend(cursor.fetchall())
        return out


@contextmanager
def _driver_cursor(session: Session, sql: str):
    """A cursor of the driver's own connection, in the session's transaction; the driver's errors come out
    as SQLAlchemy's (an ``IntegrityError`` is one whatever the database)."""
    dbapi = session.get_bind().dialect.loaded_dbapi
    cursor = session.connection().connection.driver_connection.cursor()
    try:
        yield cursor
    except dbapi.Error as error:
        raise DBAPIError.instance(sql, None, error, dbapi.Error) from error
    finally:
        cursor.close()


_SQLITE_VARIABLES = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999  # host parameters a statement takes


def update_rows(session: Session, table: Table, rows: list[dict], columns: Sequence[str]) -> None:
    """UPDATE ``columns`` of many rows by ``id`` in one executemany (each row: ``id`` and the columns)."""
    if not rows:
        return
    stmt = (update(table).where(table.c.id == bindparam("row_id"))
            .values({name: bindparam(f"new_{name}") for name in columns}))
    session.execute(stmt, [{"row_id": row["id"], **{f"new_{n}": row[n] for n in columns}} for row in rows])


def dialect_insert(session: Session, table):
    """An INSERT of this database's dialect, which offers ON CONFLICT (DO NOTHING, DO UPDATE)."""
    return (postgresql if on_postgresql(session) else sqlite).insert(table)


def insert_if_missing(session: Session, entity, **values) -> None:
    """INSERT one row unless one with the same key is there (ON CONFLICT DO NOTHING): a get-or-create
    that two units of work can run at once (each then reads the one row)."""
    session.execute(dialect_insert(session, entity).values(**values).on_conflict_do_nothing())
