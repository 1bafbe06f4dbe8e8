"""What every command-line module shares: the operator's session, error reporting, tables."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from typer.core import TyperGroup

from socialdesk.config import get_settings
from socialdesk.db import Database
from socialdesk.kit.authz import AgencyRole, Principal
from socialdesk.kit.errors import DomainError, describe, field_errors

console = Console()

# The person at the terminal has the machine, hence the data: they act as an agency owner.
OPERATOR = Principal(user_id=0, email="operator@localhost", name="local operator", agency_role=AgencyRole.OWNER)


def fail(message: str) -> NoReturn:
    """Print one line on stderr and exit with status 1."""
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(1)


def describe_domain_error(exc: DomainError) -> str:
    fields = [e.field for e in exc.errors if e.field and not exc.message.startswith(f"{e.field}:")]
    return f"{', '.join(fields)}: {exc.message}" if fields else exc.message


def describe_validation_error(exc: ValidationError) -> str:
    return describe(field_errors(exc.errors()))


class ErrorReportingGroup(TyperGroup):
    """The root command group: expected errors become a one-line message and exit status 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DomainError as exc:
            fail(describe_domain_error(exc))
        except ValidationError as exc:
            fail(describe_validation_error(exc))
        except OperationalError as exc:
            url = make_url(get_settings().resolved_database_url).render_as_string(hide_password=True)
            fail(f"database {url}: {str(exc.orig or exc).strip().splitlines()[0]}")


@contextmanager
def database() -> Iterator[Database]:
    """The configured database, migrated to the newest schema; the engine is closed afterwards."""
    db = Database(get_settings().resolved_database_url)
    try:
        db.migrate()
        yield db
    finally:
        db.dispose()


@contextmanager
def operator_session() -> Iterator[Session]:
    """One unit of work on the configured database (committed on success)."""
    with database() as db, db.session() as session:
        yield session


def print_table(title: str | None, columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> None:
    """A Rich table; values are shown literally (no markup) and folded, never cut, when narrow."""
    table = Table(title=title, title_justify="left")
    for index, column in enumerate(columns):
        table.add_column(column, no_wrap=index == 0, overflow="fold")
    for row in rows:
        table.add_row(*(Text("" if value is None else str(value)) for value in row))
    console.print(table)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
