"""Queries for rows that belong to one client: every lookup is filtered by the client, so an id
from another client's data is simply not found."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from socialdesk.kit.errors import NotFound

T = TypeVar("T")


def label_of(model) -> str:
    return model.__tablename__.rstrip("s").replace("_", " ")


def list_for(session: Session, model: type[T], client_id: int) -> list[T]:
    return list(session.scalars(select(model).where(model.client_id == client_id).order_by(model.id)))


MAX_ROW_ID = 2**31 - 1  # ids are 32-bit on PostgreSQL; a larger one cannot exist (and must not reach the database)


def get_for(session: Session, model: type[T], client_id: int, row_id: int) -> T:
    if not 1 <= row_id <= MAX_ROW_ID:
        raise NotFound(f"{label_of(model)} {row_id} not found for this client")
    row = session.scalar(select(model).where(model.id == row_id, model.client_id == client_id))
    if row is None:
        raise NotFound(f"{label_of(model)} {row_id} not found for this client")
    return row


def create_for(session: Session, model: type[T], client_id: int, data: BaseModel) -> T:
    row = model(client_id=client_id, **data.model_dump(mode="json"))
    session.add(row)
    session.flush()
    return row


def replace_for(session: Session, model: type[T], client_id: int, row_id: int, data: BaseModel) -> T:
    row = get_for(session, model, client_id, row_id)
    for key, value in data.model_dump(mode="json").items():
        setattr(row, key, value)
    session.flush()
    return row


def delete_for(session: Session, model: type[T], client_id: int, row_id: int) -> None:
    session.delete(get_for(session, model, client_id, row_id))
    session.flush()
