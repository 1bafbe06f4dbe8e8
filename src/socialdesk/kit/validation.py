"""Reusable pydantic field types with messages that say how to fix the value."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import AfterValidator, BeforeValidator, StringConstraints


@lru_cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(value: str) -> str:
    value = value.strip()
    if value not in _zones():
        raise ValueError(f"unknown time zone {value!r}; use an IANA name such as 'Europe/Paris' or 'America/New_York'")
    return value


def _word_list(value):
    """Accept a list or a comma-separated string; strip, drop empties and duplicates (keeping order)."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple):
        raise ValueError("give a list of words or a comma-separated text")
    seen, out = set(), []
    for item in value:
        if not isinstance(item, str):
            raise ValueError("every entry must be text")
        word = item.strip()
        if word and word.lower() not in seen:
            seen.add(word.lower())
            out.append(word)
    return out


def _check_color(value: str) -> str:
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        raise ValueError("must be a colour like #1a73e8")
    return value.lower()


def _no_nul(value: str) -> str:
    # PostgreSQL cannot store NUL characters in text; no real text contains them.
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\x00) characters")
    return value


NoNul = AfterValidator(_no_nul)
TimeZoneName = Annotated[str, AfterValidator(check_timezone)]
WordList = Annotated[list[Annotated[str, StringConstraints(max_length=100), NoNul]], BeforeValidator(_word_list)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), NoNul]
LongText = Annotated[str, StringConstraints(max_length=20000), NoNul]
HexColor = Annotated[str, AfterValidator(_check_color)]
