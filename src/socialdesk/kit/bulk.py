"""Many rows in few statements, on SQLite and PostgreSQL: the ingest paths (inbox sync, listening).

On PostgreSQL the rows go through psycopg's own ``executemany`` (one prepared statement, pipelined).
SQLAlchemy's multi-row VALUES made psycopg re-parse a statement of thousands of placeholders per page,
and an IN-list of hundreds of values is a statement psycopg does not cache either: both were most of
the CPU of a PostgreSQL ingest (bench/inbox_ingest.py, bench/listening_ingest.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import JSON, Table, any_, bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
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


def insert_rows(session: Session, table: Table, rows: list[dict], *, returning: tuple[str, ...] = (),
                skip_conflicts: bool = False) -> list[tuple]:
    """INSERT many rows (all with the same keys); the ``returning`` columns of the rows inserted, in the
    order of ``rows`` on PostgreSQL (SQLite: in no promised order). ``skip_conflicts``: ON CONFLICT DO
    NOTHING, so a row already there is not returned."""
    if not rows:
        return []
    if not on_postgresql(session):
        stmt = sqlite.insert(table).on_conflict_do_nothing() if skip_conflicts else table.insert()
        if returning:
            return [tuple(r) for r in session.execute(stmt.returning(*(table.c[c] for c in returning)), rows)]
        session.execute(stmt, rows)
        return []
    names = list(rows[0])
    casts = ["::json" if isinstance(table.c[n].type, JSON) else "" for n in names]
    sql = (f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('%s' + c for c in casts)})"
           + (" ON CONFLICT DO NOTHING" if skip_conflicts else "")
           + (f" RETURNING {', '.join(returning)}" if returning else ""))
    params = [[json.dumps(row[n]) if c else row[n] for n, c in zip(names, casts, strict=True)] for row in rows]
    cursor = session.connection().connection.driver_connection.cursor()
    try:
        cursor.executemany(sql, params, returning=bool(returning))
        out: list[tuple] = []
        if returning:
            for _ in cursor.results():
                out.extend(cursor.fetchall())
        return out
    finally:
        cursor.close()


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
