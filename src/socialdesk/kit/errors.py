"""Typed domain errors. Each says what went wrong, on which field or object, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


@dataclass
class FieldError:
    field: str
    message: str


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    status = 400

    def __init__(self, message: str, *, errors: list[FieldError] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or []


class InvalidInput(DomainError):
    """One or more fields are wrong; ``errors`` names each field and the fix."""

    status = 422

    @classmethod
    def on(cls, field: str, message: str) -> InvalidInput:
        return cls(f"{field}: {message}", errors=[FieldError(field, message)])


def field_errors(errors: list[dict], *, drop=("body", "query", "path", "header", "cookie")) -> list[FieldError]:
    """Pydantic's error list as field errors. Model-level checks name their field at the start of
    the message ("age_max: must be at least age_min"), so that name is moved into ``field``."""
    out = []
    for err in errors:
        field = ".".join(str(p) for p in err.get("loc", ()) if p not in drop)
        message = err.get("msg", "invalid value").removeprefix("Value error, ")
        head, sep, rest = message.partition(": ")
        if sep and " " not in head and (not field or field.split(".")[-1] != head):
            field, message = (f"{field}.{head}" if field else head), rest
        out.append(FieldError(field or "input", message))
    return out


def field_label(field: str) -> str:
    """A readable name for a field path: ``slots.1.end`` -> ``slots row 2 end``."""
    parts = []
    for part in field.split("."):
        parts.append(f"row {int(part) + 1}" if part.isdigit() else part.replace("_", " "))
    return " ".join(parts)


def invalid_input(exc: ValidationError) -> InvalidInput:
    """Turn a pydantic ValidationError into an InvalidInput naming each field."""
    errors = field_errors(exc.errors())
    summary = "; ".join(f"{field_label(e.field)}: {e.message}" for e in errors)
    return InvalidInput(summary, errors=errors)


def validate(schema: type[M], data: dict) -> M:
    """Build ``schema`` from data (a form, a CSV row) or raise InvalidInput naming each field."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise invalid_input(exc) from None


def describe(errors: list[FieldError]) -> str:
    return "; ".join(f"{e.field}: {e.message}" for e in errors)


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    """The change collides with existing data (a duplicate name, say)."""

    status = 409

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message, errors=[FieldError(field, message)] if field else None)


class NotAuthenticated(DomainError):
    status = 401


class Forbidden(DomainError):
    status = 403


class RateLimited(DomainError):
    status = 429

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
