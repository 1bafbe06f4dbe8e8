"""HTML form helpers: read submitted fields, validate them with a schema, collect field errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from fastapi import Request
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from socialdesk.kit.errors import (  # noqa: F401 - field_label, invalid_input and validate are form helpers too
    Conflict,
    DomainError,
    InvalidInput,
    field_label,
    invalid_input,
    validate,
)

FORM_ERRORS = (InvalidInput, Conflict)  # errors a form shows next to its fields; others become error pages


async def form_data(request: Request) -> FormData:
    """The submitted form (a dependency, so sync views can read it)."""
    return await request.form()


def form_fields(
    form: FormData, schema: type[BaseModel], *, lists=(), checkboxes=(), optional=()
) -> dict[str, object]:
    """The schema's fields as submitted: ``lists`` repeat, ``checkboxes`` are booleans, blank ``optional`` is None."""
    data: dict[str, object] = {}
    for name in schema.model_fields:
        if name in lists:
            data[name] = [v for v in form.getlist(name) if isinstance(v, str) and v]
        elif name in checkboxes:
            data[name] = name in form
        elif name in form:
            value = form[name] if isinstance(form[name], str) else ""
            data[name] = None if name in optional and not value.strip() else value
    return data


def form_rows(form: FormData, prefix: str, columns: tuple[str, ...], *, blank_if_empty: tuple[str, ...]) -> list[dict]:
    """Repeated table rows named ``prefix-column``; rows whose ``blank_if_empty`` columns are all empty are dropped."""
    values = [form.getlist(f"{prefix}-{column}") for column in columns]
    rows = [dict(zip(columns, cells, strict=False)) for cells in zip(*values, strict=False)]
    return [row for row in rows if any(str(row.get(c, "")).strip() for c in blank_if_empty)]


def error_map(exc: DomainError) -> dict[str, str]:
    """{field: message} for a form, each message starting with the field's name."""
    if not exc.errors:
        return {"_form": exc.message}
    out: dict[str, str] = {}
    for err in exc.errors:
        key = err.field or "_form"
        text = err.message if key == "_form" else f"{field_label(key)}: {err.message}"
        out[key] = f"{out[key]}; {text}" if key in out else text
    return out


@contextmanager
def collect_errors(session: Session) -> Iterator[dict[str, str]]:
    """Run a form's work; on InvalidInput or Conflict roll back and fill the yielded dict with field errors."""
    errors: dict[str, str] = {}
    try:
        yield errors
    except FORM_ERRORS as exc:
        session.rollback()
        errors.update(error_map(exc))
