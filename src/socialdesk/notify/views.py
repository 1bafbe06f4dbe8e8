"""The signed-in person's notification settings page: push targets, default and per-client rules."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
