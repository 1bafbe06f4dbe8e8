"""The inbox pages: across clients and per client, a conversation, triage, replies, settings, reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from socialdesk.web.deps import get_db

router = APIRouter(include_in_schema=False)
DB = Annotated[Session, Depends(get_db)]
