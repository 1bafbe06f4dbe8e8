"""Listening service on SQLite and PostgreSQL: queries (errors with their position), ingestion that stores
only matching posts with their matches per client, exact repeats skipped, near duplicates grouped and
counted per client, hostile text stored safely, languages, the compiled-query cache, sources."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from socialdesk.clients import service as clients_service
from socialdesk.clients.schemas import ClientCreate
from socialdesk.kit.errors import Conflict, InvalidInput, NotFound
from socialdesk.listening import dedup
from socialdesk.listening import service as listening
from socialdesk.listening.models import Mention, MentionMatch
from socialdesk.listening.schemas import QueryIn, QueryPatch
from socialdesk.listening.service import IncomingMention

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
_n = iter(range(1, 10**9))


def post(text, *, at=None, rid=None, **fields) -> IncomingMention:
    return IncomingMention(remote_id=rid or f"p{next(_n)}", text=text, created_at=at or T0 + timedelta(minutes=next(_n)),
                           **fields)


@pytest.fixture
def two(session):
    a = clients_service.create(session=session, data=ClientCreate(name="Acme Listening"))
    b = clients_service.create(session=session, data=ClientCreate(name="Globex Listening"))
    session.flush()
    return a.id, b.id


def query(session, client_id, text, name=None, topic="brand", enabled=True):
    return listening.create_query(session=session, client_id=client_id, user_id=None,
                                  data=QueryIn(name=name or f"q{next(_n)}", topic=topic, text=text, enabled=enabled))


def ids(views):
    return [v.mention.remote_id for v in views]


def page(session, client_id, **filters):
    return listening.list_mentions(session=session, client_id=client_id, **filters)[0]


# --- queries --------------------------------------------------------------------------------------


def test_query_errors_name_the_text_field_and_the_position(session, two):
    a, _ = two
    with pytest.raises(InvalidInput) as caught:
        query(session, a, 'acme AND (launch OR "new phone"')
    assert caught.value.errors[0].field == "text"
    assert caught.value.errors[0].message == "at position 9: this parenthesis is never closed"
    with pytest.raises(InvalidInput, match="at position 5: unknown field colour:"):
        query(session, a, "acme colour:red")
    q = query(session, a, "acme", name="Brand")
    with pytest.raises(InvalidInput, match="at position 0: the query is empty"):
        listening.update_query(session=session, client_id=a, query_id=q.id, data=QueryPatch(text="   "))
    with pytest.raises(Conflict) as clash:
        query(session, a, "acme phone", name="brand")
    assert clash.value.errors[0].field == "name"
    assert [r.text for r in listening.list_queries(session=session, client_id=a)] == ["acme"]


def test_queries_of_one_client_are_not_found_under_another(session, two):
    a, b = two
    q = query(session, a, "acme")
    with pytest.raises(NotFound):
        listening.get_query(session=session, client_id=b, query_id=q.id)
    with pytest.raises(NotFound):
        listening.delete_query(session=session, client_id=b, query_id=q.id)
    assert listening.list_queries(session=session, client_id=b) == []


# --- matching and storing -------------------------------------------------------------------------


def test_only_matching_posts_are_stored_and_each_client_sees_its_own(session, two):
    a, b = two
    qa = query(session, a, 'acme OR "acme phone"', topic="brand")
    qa2 = query(session, a, "globex", topic="competitor")
    qb = query(session, b, "globex", topic="brand")
    result = listening.ingest(session=session, source="bluesky", posts=[
        post("I love my acme phone", rid="1"), post("globex ships late again", rid="2"),
        post("nothing to see here", rid="3"), post("acme versus globex", rid="4")])
    assert result.outcomes == ["stored", "stored", "unmatched", "stored"]
    assert (result.stored, result.unmatched, result.matches) == (3, 1, 6)
    assert result.per_client == {a: 3, b: 2}
    assert session.scalar(select(func.count()).select_from(Mention)) == 3
    assert ids(page(session, a)) == ["4", "2", "1"]
    assert ids(page(session, b)) == ["4", "2"]
    both = page(session, a)[0]
    assert [q["id"] for q in both.queries] == sorted([qa.id, qa2.id])  # B's query is never shown to A
    assert [q["id"] for q in page(session, b)[0].queries] == [qb.id]
    assert ids(page(session, a, topic="competitor")) == ["4", "2"]
    assert ids(page(session, a, query_id=qa.id)) == ["4", "1"]
    assert ids(page(session, b, query_id=qa.id)) == []  # A's query id asked under B finds nothing


def test_exact_repeats_are_skipped_and_gain_the_matches_of_new_queries(session, two):
    a, b = two
    query(session, a, "acme")
    first = listening.ingest(session=session, source="mastodon",
                             posts=[post("acme rocks", rid="x1"), post("acme rocks", rid="x1")])
    assert first.outcomes == ["stored", "repeat"]
    again = listening.ingest(session=session, source="mastodon", posts=[post("acme rocks", rid="x1")])
    assert (again.stored, again.repeats, again.matches) == (0, 1, 0)
    other = listening.ingest(session=session, source="bluesky", posts=[post("acme rocks", rid="x1")])
    assert other.stored == 1  # remote ids are unique per source only
    query(session, b, "rocks")
    later = listening.ingest(session=session, source="mastodon", posts=[post("acme rocks", rid="x1")])
    assert (later.stored, later.repeats, later.matches) == (0, 1, 1)
    assert [(v.mention.source, v.mention.remote_id) for v in page(session, b)] == [("mastodon", "x1")]
    assert session.scalar(select(func.count()).select_from(Mention)) == 2


def test_retweets_and_copies_are_grouped_counted_and_listed_once(session, two):
    a, _ = two
    query(session, a, "acme")
    original = "Acme launches the solar bike today, finally! https://acme.example/bike"
    result = listening.ingest(session=session, source="x", posts=[
        post(original, rid="o", at=T0, author_handle="acme_fan"),
        post("RT @acme_fan: " + original, rid="rt1", at=T0 + timedelta(minutes=1), author_handle="bob"),
        post("acme launches the SOLAR bike today... finally https://t.co/zzz via @news", rid="copy",
             at=T0 + timedelta(minutes=2), author_handle="carol"),
        post("Acme launches the solar bike tomorrow", rid="other", at=T0 + timedelta(minutes=3))])
    assert result.outcomes == ["stored", "duplicate", "duplicate", "stored"]
    assert result.duplicates == 2
    shown = page(session, a)
    assert ids(shown) == ["other", "o"]
    assert shown[1].copies == 2 and not shown[1].duplicate
    every = page(session, a, include_duplicates=True)
    assert ids(every) == ["other", "copy", "rt1", "o"]
    assert [v.duplicate for v in every] == [False, True, True, False]
    # A later batch counts on the stored leader; after the window a copy starts a group of its own.
    more = listening.ingest(session=session, source="x", posts=[
        post("RT @acme_fan: " + original, rid="rt2", at=T0 + timedelta(days=2)),
        post("RT @acme_fan: " + original, rid="rt3", at=T0 + dedup.WINDOW + timedelta(hours=1))])
    assert more.outcomes == ["duplicate", "stored"]
    shown = {v.mention.remote_id: v for v in page(session, a)}
    assert shown["o"].copies == 3 and shown["rt3"].copies == 0 and "rt2" not in shown


def test_duplicates_are_per_client(session, two):
    a, b = two
    query(session, a, "acme")
    query(session, b, "acme AND source:bluesky")  # B only sees the copy, which must not hide from B
    text_ = "Acme recalls every kettle sold since March https://acme.example/recall"
    result = listening.ingest(session=session, source="x", posts=[
        post(text_, rid="k1", at=T0), post("RT @acme: " + text_, rid="k2", at=T0 + timedelta(minutes=5),
                                           source="bluesky")])
    assert result.outcomes == ["stored", "duplicate"]
    assert ids(page(session, a)) == ["k1"]
    assert ids(page(session, b)) == ["k2"]


def test_short_texts_group_only_with_copies_of_the_same_author():
    assert dedup.dup_key("love it", "bob") == dedup.dup_key("RT @bob: love it!", "carol")
    assert dedup.dup_key("love it", "bob") != dedup.dup_key("love it", "dave")
    assert dedup.dup_key("🔥🔥 https://x.example") is None
    long_ = "the new acme kettle boils in one minute flat"
    assert dedup.dup_key(long_, "a") == dedup.dup_key(long_.upper() + " http://t.co/1", "b")


# --- hostile and odd input ------------------------------------------------------------------------


def test_control_characters_and_surrogates_are_stored_safely(session, two):
    a, _ = two
    query(session, a, "acme")
    nasty = "acme\x00 is\x1b[31m red\x07 \ud800 ok\tyes\nline"
    result = listening.ingest(session=session, source="rss\x00", posts=[
        post(nasty, rid="n\x001", author_handle="ev\x00il", author_name="Eve\x1b", url="https://e.example/\x00x")])
    assert result.outcomes == ["stored"]
    session.commit()
    row = session.scalar(select(Mention))
    assert row.text == "acme is[31m red \ufffd ok\tyes\nline"
    assert (row.source, row.remote_id, row.author_handle, row.author_name) == ("rss", "n1", "evil", "Eve")
    assert row.url == "https://e.example/x"


def test_long_bodies_are_clipped_and_the_clip_recorded(session, two):
    a, _ = two
    query(session, a, "acme")
    body = "acme " + "word " * 9_999  # 50,000 characters
    tail = "acme " * 10 + "x" * 49_950 + " zebra"
    query(session, a, "zebra")
    result = listening.ingest(session=session, source="rss", posts=[post(body, rid="long"), post(tail, rid="tail")])
    assert result.stored == 2 and result.clipped == 2
    rows = {m.remote_id: m for m in session.scalars(select(Mention))}
    assert len(rows["long"].text) == listening.MAX_TEXT and rows["long"].clipped
    assert rows["long"].text_length == 50_000
    # Matching sees the whole body: a word past the clip still matched.
    assert len([v for v in page(session, a) if v.mention.remote_id == "tail"][0].queries) == 2


def test_bad_posts_are_refused_one_by_one(session, two):
    a, _ = two
    query(session, a, "acme")
    result = listening.ingest(session=session, source="x", posts=[
        post("acme fine", rid="ok"), post("acme", rid="  "),
        IncomingMention(remote_id="naive", text="acme", created_at=datetime(2026, 1, 1)),
        post("acme", rid="neg", author_followers=-4), post("acme", rid="int", author_handle=7),
        post("acme", rid="tags", hashtags=("ok", None))])
    assert result.outcomes == ["stored", "rejected", "rejected", "rejected", "rejected", "rejected"]
    assert result.rejected == ["post 2: remote_id is missing",
                               "post 3 ('naive'): created_at needs a date and time with a time zone",
                               "post 4 ('neg'): author_followers must be a whole number from 0",
                               "post 5 ('int'): author_handle is not text",
                               "post 6 ('tags'): hashtags must be a list of texts"]
    assert "5 refused" in result.text()


# --- language and sentiment -----------------------------------------------------------------------


def test_language_is_trusted_when_given_and_detected_otherwise(session, two):
    a, b = two
    query(session, a, "acme")
    query(session, b, "acme AND lang:fr")  # a lang: query needs the language before matching
    result = listening.ingest(session=session, source="x", posts=[
        post("acme c'est vraiment le meilleur magasin de la ville, j'adore", rid="fr"),
        post("acme is the best shop in town and I love it", rid="given", lang="pt_BR"),
        post("acme!", rid="short")])
    assert result.per_client == {a: 3, b: 1}
    rows = {m.remote_id: m for m in session.scalars(select(Mention))}
    assert (rows["fr"].lang, rows["fr"].lang_detected) == ("fr", True)
    assert (rows["given"].lang, rows["given"].lang_detected) == ("pt-br", False)
    assert rows["short"].lang is None
    assert ids(page(session, a, lang="pt")) == ["given"]
    assert ids(page(session, b)) == ["fr"]


def test_lingua_is_asked_once_a_post_even_when_it_cannot_tell(session, two, monkeypatch):
    a, b = two
    query(session, a, "acme")
    query(session, b, "acme AND lang:fr")  # matching asks for the language of a post without one
    asked: list[str] = []
    real = listening.language.detect
    monkeypatch.setattr(listening.language, "detect", lambda text_: asked.append(text_) or real(text_))
    result = listening.ingest(session=session, source="x", posts=[post("acme!", rid="short"),
                                                                  post("acme ok", rid="given", lang="en")])
    assert result.per_client == {a: 2} and asked == ["acme!"]  # unclear at matching: not asked again to store
    assert session.scalar(select(Mention.lang).where(Mention.remote_id == "short")) is None


def test_sentiment_source_and_time_filters(session, two):
    a, _ = two
    query(session, a, "acme")
    listening.ingest(session=session, source="mastodon", posts=[
        post("acme is wonderful, I love it so much", rid="good", at=T0),
        post("acme is terrible, worst service ever", rid="bad", at=T0 + timedelta(hours=1)),
        post("acme opens at nine", rid="flat", at=T0 + timedelta(hours=2), source="rss")])
    assert ids(page(session, a, sentiment="positive")) == ["good"]
    assert ids(page(session, a, sentiment="negative")) == ["bad"]
    assert ids(page(session, a, source="rss")) == ["flat"]
    assert ids(page(session, a, since=T0 + timedelta(minutes=30), until=T0 + timedelta(hours=2))) == ["bad"]
    bad = page(session, a, sentiment="negative")[0].mention
    assert bad.sentiment_score < -0.5 and bad.sentiment == "negative"


def test_paging_walks_every_mention_once_even_with_equal_times(session, two):
    a, _ = two
    query(session, a, "acme")
    listening.ingest(session=session, source="x", posts=[post(f"acme number {i} is here today", rid=f"m{i}",
                                                              at=T0 + timedelta(minutes=i // 3)) for i in range(10)])
    seen, cursor = [], None
    while True:
        views, cursor = listening.list_mentions(session=session, client_id=a, limit=4, cursor=cursor)
        seen += ids(views)
        if cursor is None:
            break
    assert sorted(seen) == sorted(f"m{i}" for i in range(10)) and len(seen) == 10
    with pytest.raises(InvalidInput, match="cursor"):
        listening.list_mentions(session=session, client_id=a, cursor="yesterday")


# --- the compiled queries follow changes ----------------------------------------------------------


def test_matching_follows_query_changes_without_a_restart(session, two):
    a, _ = two
    q = query(session, a, "acme")
    assert listening.ingest(session=session, source="x", posts=[post("acme one")]).stored == 1
    listening.update_query(session=session, client_id=a, query_id=q.id, data=QueryPatch(text="roadrunner"))
    assert listening.ingest(session=session, source="x", posts=[post("acme two")]).stored == 0
    assert listening.ingest(session=session, source="x", posts=[post("roadrunner three")]).stored == 1
    listening.update_query(session=session, client_id=a, query_id=q.id, data=QueryPatch(enabled=False))
    assert listening.ingest(session=session, source="x", posts=[post("roadrunner four")]).stored == 0
    listening.update_query(session=session, client_id=a, query_id=q.id,
                           data=QueryPatch(enabled=True, topic="campaign"))
    assert {m.topic for m in session.scalars(select(MentionMatch))} == {"campaign"}
    listening.delete_query(session=session, client_id=a, query_id=q.id)
    assert session.scalar(select(func.count()).select_from(MentionMatch)) == 0
    assert listening.ingest(session=session, source="x", posts=[post("roadrunner five")]).stored == 0


def test_a_second_process_sees_changes_through_the_version(database, session, two):
    a, _ = two
    query(session, a, "acme")
    session.commit()
    compiled = listening.compiled_queries(session)
    assert len(compiled.queries) == 1
    with database.session() as other:  # another process: it writes the query and bumps the version
        other.execute(text("INSERT INTO listening_queries (client_id, name, topic, text, enabled, created_at, "
                           "updated_at) VALUES (:c, 'raw', 'brand', 'wile', :t, :at, :at)"),
                      {"c": a, "t": True, "at": T0})
        other.execute(text("UPDATE listening_state SET queries_version = 'elsewhere'"))
    session.commit()
    assert {q[2] for q in listening.compiled_queries(session).queries.values()} == {"acme", "wile"}


# --- sources --------------------------------------------------------------------------------------


def test_source_state_keeps_cursor_error_and_report(session, two):
    a, _ = two
    query(session, a, "acme")
    src = listening.source_state(session=session, name="jetstream", kind="bluesky", config={"url": "wss://x"})
    src.cursor = "1700000000000000"
    result = listening.ingest(session=session, source="bluesky", posts=[post("acme"), post("zzz")])
    listening.record_run(session=session, source=src, result=result)
    again = listening.source_state(session=session, name="jetstream", kind="bluesky")
    assert again.id == src.id and again.cursor == "1700000000000000" and again.mentions_total == 1
    assert again.last_report.startswith("2 received, 1 stored")
    listening.record_run(session=session, source=src, error="connection refused\x00")
    assert src.last_error == "connection refused" and src.last_error_at is not None


def test_a_batch_prepared_before_the_write_transaction_is_stored_as_ingest_stores_it(session, two):
    """prepare() does the matching and scoring and writes nothing; ingest(prepared=...) then stores it."""
    a, b = two
    query(session, a, "acme AND lang:fr")
    query(session, b, "acme OR globex")
    batch = [post("acme ouvre une boutique à Lyon, venez nombreux ce samedi"),
             post("globex is terrible, my order never came", lang="en"),
             post("nothing to see here", lang="en")]
    before = session.scalar(select(func.count()).select_from(Mention))
    prepared = listening.prepare(session=session, source="bluesky", posts=batch)
    assert session.scalar(select(func.count()).select_from(Mention)) == before and not session.new
    assert [(c.post.remote_id, c.lang, c.label) for c in prepared.candidates] == [
        (batch[0].remote_id, "fr", prepared.candidates[0].label), (batch[1].remote_id, "en", "negative")]
    result = listening.ingest(session=session, source="bluesky", posts=batch, prepared=prepared)
    assert (result.stored, result.unmatched, result.outcomes) == (2, 1, ["stored", "stored", "unmatched"])
    rows = {m.remote_id: m for m in session.scalars(select(Mention).where(Mention.source == "bluesky"))}
    assert (rows[batch[0].remote_id].lang, rows[batch[0].remote_id].lang_detected) == ("fr", True)
    assert rows[batch[1].remote_id].sentiment == "negative" and rows[batch[1].remote_id].dup_key is not None
    assert {(m.client_id) for m in session.scalars(select(MentionMatch).where(
        MentionMatch.mention_id == rows[batch[0].remote_id].id))} == {a, b}


def lock_waiters(database, tries: int = 500) -> int:
    """How many sessions of this database wait on a lock, polled until one does (about 5 s at most)."""
    waiting = 0
    for _ in range(tries):
        with database.session() as s:
            waiting = s.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                    "AND datname = current_database()"))
        if waiting:
            break
        time.sleep(0.01)
    return waiting


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_copy_stored_while_its_original_is_being_stored_joins_its_group(database, session, two):
    """Two ingesters (two sources) store a post and its copy at the same time: the copy's ingest waits for
    the original's to commit, then counts itself in its group instead of leading a second one."""
    a, _ = two
    query(session, a, "acme")
    session.commit()
    original = "Acme recalls the blue kettle, check the serial number on yours"
    outcome: list = []
    with database.session(write=True) as first:
        assert listening.ingest(session=first, source="firehose", posts=[
            post(original, rid="orig", at=T0, author_handle="ann")]).outcomes == ["stored"]

        def ingest_copy():
            with database.session(write=True) as s:
                outcome.append(listening.ingest(session=s, source="mastodon", posts=[
                    post(f"RT @ann: {original}", rid="copy", at=T0 + timedelta(minutes=1))]).outcomes)

        worker = threading.Thread(target=ingest_copy)
        worker.start()
        assert lock_waiters(database) == 1 and outcome == []  # the copy's ingest waits for the original's
    worker.join(10)
    assert outcome == [["duplicate"]]
    session.expire_all()
    rows = {m.remote_id: m for m in session.scalars(select(Mention))}
    leaders = session.execute(select(MentionMatch.mention_id, MentionMatch.duplicate, MentionMatch.dup_count)).all()
    assert sorted(leaders) == sorted([(rows["orig"].id, False, 1), (rows["copy"].id, True, 0)])


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_ingests_bumping_the_same_leaders_lock_them_in_one_order(database, session, two):
    """An ingest adds copies to stored group leaders in key order, whatever order its copies came in: two
    ingests bumping the same leaders (worker processes reading different sources) cannot deadlock. Here
    another transaction holds the first leader; the ingest waits for it holding nothing, so the other
    transaction can still take the second leader (in arrival order the ingest would hold it: deadlock)."""
    a, _ = two
    query(session, a, "acme")
    first, second = "Acme opens a shop in Lyon this spring", "Acme recalls the blue kettle, check yours"
    listening.ingest(session=session, source="x", posts=[post(first, rid="L1", at=T0, author_handle="ann"),
                                                         post(second, rid="L2", at=T0, author_handle="ben")])
    session.commit()
    leaders = dict(session.execute(select(Mention.remote_id, Mention.id)).all())
    copy_of = {"L1": f"RT @ann: {first}", "L2": f"RT @ben: {second}"}
    low, high = sorted(leaders, key=leaders.get)
    copies = [post(copy_of[high], rid="c-high", at=T0 + timedelta(minutes=1)),  # the later leader's copy first
              post(copy_of[low], rid="c-low", at=T0 + timedelta(minutes=2))]
    with database.session() as other:
        other.execute(text("SELECT 1 FROM listening_matches WHERE mention_id = :m FOR UPDATE"), {"m": leaders[low]})
        outcome: list = []

        def ingest():
            with database.session(write=True) as s:
                outcome.append(listening.ingest(session=s, source="x", posts=copies).outcomes)

        worker = threading.Thread(target=ingest)
        worker.start()
        assert lock_waiters(database) == 1  # the ingest waits on a lock
        other.execute(text("SELECT 1 FROM listening_matches WHERE mention_id = :m FOR UPDATE NOWAIT"),
                      {"m": leaders[high]})  # free: the ingest took nothing before the first leader
    worker.join(10)
    assert outcome == [["duplicate", "duplicate"]]
    session.expire_all()
    counts = dict(session.execute(select(MentionMatch.mention_id, MentionMatch.dup_count)).all())
    assert {m: counts[m] for m in leaders.values()} == {leaders["L1"]: 1, leaders["L2"]: 1}


def advisory_locks(session) -> int:
    return session.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                               "AND pid = pg_backend_pid()"))


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_transaction_of_many_batches_holds_a_bounded_number_of_locks(database, session, two, monkeypatch):
    """Past KEY_LOCK_BUDGET group keys, a transaction holds the whole store instead of one lock a key (an
    import of thousands of rows in one unit of work ran PostgreSQL out of shared memory). Another ingest
    then waits for it to commit, and still finds its copy's leader."""
    a, _ = two
    query(session, a, "acme")
    session.commit()
    monkeypatch.setattr(listening, "KEY_LOCK_BUDGET", 5)
    outcome: list = []
    with database.session(write=True) as long:
        listening.ingest(session=long, source="x", posts=[post(f"acme one {i} of the first batch", rid=f"a{i}") for i in range(3)])
        assert advisory_locks(long) == 4  # the store shared, three keys
        for batch in range(1, 6):
            listening.ingest(session=long, source="x", posts=[post(f"acme batch {batch} post {i} says hello",
                                                                   rid=f"b{batch}-{i}", author_handle="ann")
                                                              for i in range(3)])
            assert advisory_locks(long) == 5  # and the store exclusive, however many batches follow

        def ingest_copy():
            with database.session(write=True) as s:
                outcome.append(listening.ingest(session=s, source="mastodon", posts=[
                    post("RT @ann: acme batch 5 post 2 says hello", rid="copy")]).outcomes)

        worker = threading.Thread(target=ingest_copy)
        worker.start()
        assert lock_waiters(database) == 1 and outcome == []
    worker.join(10)
    assert outcome == [["duplicate"]]
    with database.session(write=True) as fresh:  # a new transaction starts again with key locks
        listening.ingest(session=fresh, source="x", posts=[post("acme later in another unit", rid="later")])
        assert advisory_locks(fresh) == 2


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"])
def test_an_import_in_one_transaction_holds_one_lock(database, session, two):
    from socialdesk.listening import importing

    a, _ = two
    query(session, a, "acme")
    session.commit()
    rows = "\n".join(f'{{"remote_id": "r{i}", "text": "acme number {i} of many", "created_at": "2026-11-0{1 + i % 5}T10:00:00Z"}}'
                     for i in range(250))
    with database.session(write=True) as s:
        report = importing.import_text(session=s, client_id=a, text=rows, filename="m.jsonl", chunk=50)
        assert report.stored == 250
        assert advisory_locks(s) == 1
