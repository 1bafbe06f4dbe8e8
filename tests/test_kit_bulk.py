"""Many rows in few statements (kit.bulk): the same result on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from socialdesk.kit import bulk
from socialdesk.listening.models import Mention

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
BASE = dict(url="", author_handle="", author_name="", author_followers=None, text="acme", text_length=4,
            clipped=False, lang=None, lang_detected=False, sentiment_score=0.0, sentiment="neutral",
            hashtags=["a"], mentions=[], dup_key=None, created_at=T0, ingested_at=T0)


def rows(*remote_ids: str) -> list[dict]:
    return [{**BASE, "source": "x", "remote_id": r} for r in remote_ids]


def test_insert_returns_the_new_rows_and_skips_rows_stored_meanwhile(session):
    # What a concurrent ingest of the same source looks like to the bulk insert: a row already there.
    first = bulk.insert_rows(session, Mention.__table__, rows("1"), returning=("id", "source", "remote_id"),
                             skip_conflicts=True)
    both = bulk.insert_rows(session, Mention.__table__, rows("1", "2"), returning=("id", "source", "remote_id"),
                            skip_conflicts=True)
    assert [r[1:] for r in first] == [("x", "1")] and [r[1:] for r in both] == [("x", "2")]
    assert session.scalar(select(Mention.hashtags).where(Mention.remote_id == "2")) == ["a"]  # JSON kept
    stored = session.scalar(select(Mention.created_at).where(Mention.remote_id == "2"))
    assert stored == T0 and stored.tzinfo is not None


def test_insert_returning_gives_every_row_its_own_id(session):
    returned = bulk.insert_rows(session, Mention.__table__, rows(*(str(i) for i in range(300))),
                                returning=("id", "remote_id"))
    assert sorted(r for _, r in returned) == sorted(str(i) for i in range(300))
    stored = dict(session.execute(select(Mention.remote_id, Mention.id)).all())
    assert {r: i for i, r in returned} == stored


def test_any_of_matches_like_an_in_list_whatever_the_count(session):
    bulk.insert_rows(session, Mention.__table__, rows(*(str(i) for i in range(600))))
    wanted = [str(i) for i in range(0, 1200, 3)]  # half of them are not there
    found = set(session.scalars(select(Mention.remote_id).where(bulk.any_of(session, Mention.remote_id, wanted))))
    assert found == {str(i) for i in range(0, 600, 3)}
    assert not list(session.scalars(select(Mention.id).where(bulk.any_of(session, Mention.remote_id, []))))


def test_update_rows_writes_each_row_its_own_values(session):
    returned = bulk.insert_rows(session, Mention.__table__, rows("a", "b", "c"), returning=("id", "remote_id"))
    ids = {r: i for i, r in returned}
    later = T0 + timedelta(hours=1)
    bulk.update_rows(session, Mention.__table__, [{"id": ids["a"], "text": "first", "created_at": later},
                                                  {"id": ids["c"], "text": "third", "created_at": T0}],
                     ("text", "created_at"))
    stored = {r: (t, at) for r, t, at in session.execute(select(Mention.remote_id, Mention.text, Mention.created_at))}
    assert stored == {"a": ("first", later), "b": ("acme", T0), "c": ("third", T0)}


def test_rows_are_stored_as_sqlalchemy_itself_stores_them(session):
    """Each value goes through its column type as an ORM insert would send it (datetimes as the same text
    on SQLite, JSON, booleans), so comparisons and ordering in queries see no difference."""
    later = T0 + timedelta(minutes=5, microseconds=7)
    session.execute(Mention.__table__.insert(), [{**rows("orm")[0], "created_at": later, "clipped": True}])
    bulk.insert_rows(session, Mention.__table__, [{**rows("bulk")[0], "created_at": later, "clipped": True}])
    raw = text("SELECT remote_id, created_at, hashtags, clipped FROM listening_mentions ORDER BY remote_id")
    (b, *bulk_values), (o, *orm_values) = session.execute(raw).all()
    assert (b, o) == ("bulk", "orm") and bulk_values == orm_values
    between = select(Mention.remote_id).where(Mention.created_at > T0 + timedelta(minutes=5),
                                               Mention.created_at < T0 + timedelta(minutes=6))
    assert sorted(session.scalars(between)) == ["bulk", "orm"]


def test_skipping_conflicts_skips_only_rows_already_there_not_broken_ones(session):
    bulk.insert_rows(session, Mention.__table__, rows("1"), skip_conflicts=True)
    with pytest.raises(IntegrityError):  # a missing text is an error, not a row quietly left out
        bulk.insert_rows(session, Mention.__table__, [{**rows("2")[0], "text": None}], skip_conflicts=True)
