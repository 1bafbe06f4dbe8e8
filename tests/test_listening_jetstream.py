"""The Bluesky firehose through Jetstream: events read into mentions, and a consumer that survives dropped
connections with no gap and no double, against a local Jetstream server (tests/peers/jetstream.py)."""

from __future__ import annotations

import json
import random
import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from peers.jetstream import (
    POST,
    START_US,
    JetstreamPeer,
    delete_event,
    generate_stream,
    identity_event,
    like_event,
    post_event,
)
from socialdesk.clients.models import Client
from socialdesk.kit.errors import InvalidInput
from socialdesk.listening import service as listening_service
from socialdesk.listening.models import ListeningSource, Mention
from socialdesk.listening.schemas import QueryIn
from socialdesk.listening.sources import SourceError, jetstream, runner
from test_cli import cli  # noqa: F401 - the fixture

DID = "did:plc:abcdefghijklmnopqrstuvwx"


# -- reading events --------------------------------------------------------------------------------

def test_a_created_post_becomes_a_mention_with_its_tags_mentions_language_and_links():
    facets = [{"index": {"byteStart": 0, "byteEnd": 5}, "features": [{"$type": "app.bsky.richtext.facet#tag",
                                                                        "tag": "coffee"}]},
              {"index": {"byteStart": 6, "byteEnd": 20}, "features": [{"$type": "app.bsky.richtext.facet#mention",
                                                                        "did": "did:plc:friend"}]},
              {"index": {"byteStart": 21, "byteEnd": 30}, "features": [{"$type": "app.bsky.richtext.facet#link",
                                                                        "uri": "https://example.com"}]}]
    event = post_event(START_US, DID, "3l3qo2vutsw2b", "#coffee @friend.bsky.social https://example.com",
                       langs=("pt-BR", "en"), facets=facets, tags=["latte"], created_at="2024-08-30T10:00:00Z")
    parsed = jetstream.parse_event(json.dumps(event), handles={DID: "roaster.bsky.social",
                                                               "did:plc:friend": "friend.bsky.social"})
    post = parsed.post
    assert parsed.time_us == START_US
    assert post.source == "bluesky"
    assert post.remote_id == f"at://{DID}/app.bsky.feed.post/3l3qo2vutsw2b"
    assert post.url == f"https://bsky.app/profile/{DID}/post/3l3qo2vutsw2b"
    assert post.author_handle == "roaster.bsky.social"
    assert post.hashtags == ("coffee", "latte") and post.mentions == ("friend.bsky.social",)
    assert post.lang == "pt-BR"
    assert post.created_at == datetime(2024, 8, 30, 10, 0, tzinfo=UTC)


def test_other_collections_identity_and_deletes_are_told_apart():
    like = jetstream.parse_event(json.dumps(like_event(START_US + 1, DID, "3labc", "at://x/y/z")))
    assert like.post is None and like.deleted is None and like.skipped is None and like.time_us == START_US + 1
    gone = jetstream.parse_event(json.dumps(delete_event(START_US + 2, DID, "3labc")))
    assert gone.deleted == f"at://{DID}/{POST}/3labc" and gone.post is None
    who = jetstream.parse_event(json.dumps(identity_event(START_US + 3, DID, "new.example.com")))
    assert who.handle == (DID, "new.example.com")
    account = jetstream.parse_event(json.dumps({"did": DID, "time_us": START_US + 4, "kind": "account",
                                                "account": {"active": False}}))
    assert account.post is None and account.skipped is None and account.time_us == START_US + 4


@pytest.mark.parametrize("raw, why", [
    ("not json at all {", "not JSON"),
    ("[1, 2]", "not a JSON object"),
    (json.dumps({"kind": "commit", "time_us": 5, "did": "mallory", "commit": {
        "collection": POST, "operation": "create", "rkey": "3l", "record": {"text": "x"}}}), "author DID"),
    (json.dumps({"kind": "commit", "time_us": 5, "did": DID, "commit": {
        "collection": POST, "operation": "create", "rkey": "../../etc", "record": {"text": "x"}}}), "record key"),
    (json.dumps({"kind": "commit", "time_us": 5, "did": DID, "commit": {
        "collection": POST, "operation": "create", "rkey": "3l", "record": {"text": 42}}}), "no readable record"),
    (json.dumps({"kind": "commit", "time_us": 5, "did": DID, "commit": {
        "collection": POST, "operation": "create", "rkey": "3l", "record": "text"}}), "no readable record"),
])
def test_an_unreadable_event_is_skipped_and_says_why(raw, why):
    parsed = jetstream.parse_event(raw)
    assert parsed.post is None and why in parsed.skipped


def test_control_characters_go_and_a_huge_body_is_passed_on_whole_for_the_service_to_clip():
    text = "Hello\x00 wor\x1bld\u202e!\r\nnext" + " word" * 10_000  # 50,000+ characters
    event = post_event(START_US, DID, "3lbig", text, facets=[{"features": "nope"}, "bad", {"features": [1]}],
                       created_at="2999-01-01T00:00:00Z")
    post = jetstream.parse_event(json.dumps(event)).post
    assert post.text.startswith("Hello wor ld !\nnext word")
    assert not any(ord(c) < 32 and c != "\n" for c in post.text) and "\u202e" not in post.text
    assert len(post.text) > 50_000
    assert post.created_at <= datetime.now(UTC)  # a record claiming the future is not believed
    assert post.hashtags == () and post.mentions == ()


def test_the_subscription_asks_for_posts_from_the_cursor():
    url = jetstream.subscribe_url("wss://jet.example.com/subscribe?compress=false&cursor=1", 1_725_000_000_000_000)
    assert url == ("wss://jet.example.com/subscribe?compress=false&wantedCollections=app.bsky.feed.post"
                   "&cursor=1725000000000000")
    assert "cursor" not in jetstream.subscribe_url("wss://jet.example.com", None)


def test_the_stream_url_is_checked_and_errors_name_the_field():
    with pytest.raises(InvalidInput) as bad:
        jetstream.validate({"url": "https://jet.example.com/subscribe"}, allow_private=False)
    assert bad.value.errors[0].field == "url"
    with pytest.raises(InvalidInput) as private:
        jetstream.validate({"url": "ws://localhost:6008/subscribe"}, allow_private=False)
    assert "private or loopback" in private.value.errors[0].message
    assert jetstream.validate({}, allow_private=False) == {"url": jetstream.DEFAULT_URL}


# -- the consumer against a local Jetstream ------------------------------------------------------------

class MemoryStore:
    """What a consumer stored, batch by batch, with a cursor that only moves forward."""

    def __init__(self):
        self.posts: list[str] = []
        self.deleted: list[str] = []
        self.cursor: int | None = None
        self.lock = threading.Lock()

    def load(self) -> int | None:
        with self.lock:
            return self.cursor

    def store(self, posts, deleted, cursor, progress) -> None:
        with self.lock:
            self.posts.extend(p.remote_id for p in posts)
            self.deleted.extend(deleted)
            if cursor is not None:
                self.cursor = max(self.cursor or 0, cursor)


def _run_until(consumer, done, *, timeout: float = 60.0):
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    try:
        while not done() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert done(), "the consumer did not catch up in time"
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_a_thousand_events_with_three_drops_give_every_post_and_lose_none():
    stream = generate_stream(1000, seed=11)
    rng = random.Random(3)
    drops = tuple(sorted(rng.sample(range(50, 950), 3)))
    store = MemoryStore()
    last = stream.events[-1]["time_us"]
    with JetstreamPeer(stream, drop_after=drops) as peer:
        consumer = jetstream.Consumer(url=peer.url, load_cursor=store.load, store=store.store, allow_private=True,
                                      batch_size=37, flush_seconds=0.05, backoff_base=0.05, backoff_cap=0.2,
                                      rewind_us=20_000)  # the generated stream spans about a second
        _run_until(consumer, lambda: store.load() == last)
        assert peer.drops_done == 3 and len(peer.requests) == 4
        assert all(params["wantedCollections"] == [POST] for params in peer.requests)
        # The first subscription had no cursor; each reconnection resumed a little before the stored one.
        assert "cursor" not in peer.requests[0]
        cursors = [int(p["cursor"][0]) for p in peer.requests[1:]]
        assert START_US < cursors[0] < cursors[1] < cursors[2] < last
    # No gap: every post created was received. The rewind brought some twice (ingest's de-duplication
    # absorbs them); what matters is what is kept.
    assert set(store.posts) >= set(stream.alive)
    assert len(store.posts) > len(set(store.posts))
    kept = set(store.posts) - set(store.deleted)
    assert kept == set(stream.alive)
    assert set(store.deleted) == stream.deleted
    assert consumer.progress.drops >= 3 and consumer.progress.connects == 4


def test_reconnects_back_off_while_the_server_is_away():
    store = MemoryStore()
    # A port nobody listens on: every attempt fails, each wait longer than the one before.
    import socket as socket_module

    probe = socket_module.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    errors: list[tuple[float, str]] = []
    consumer = jetstream.Consumer(url=f"ws://127.0.0.1:{port}/subscribe", load_cursor=store.load, store=store.store,
                                  allow_private=True, backoff_base=0.05, backoff_cap=0.4,
                                  on_error=lambda m: errors.append((time.monotonic(), m)))
    _run_until(consumer, lambda: len(errors) >= 6, timeout=10)
    gaps = [b[0] - a[0] for a, b in zip(errors, errors[1:])]
    assert gaps[3] > gaps[0] * 1.5  # doubling (with jitter) ...
    assert max(gaps) < 0.4 + 0.2  # ... up to the cap
    assert "127.0.0.1" in errors[0][1]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_loopback_stream_is_refused_when_private_addresses_are_not_allowed(host):
    stream = generate_stream(20)
    store = MemoryStore()
    with JetstreamPeer(stream) as peer:
        errors: list[str] = []
        consumer = jetstream.Consumer(url=f"ws://{host}:{peer.port}/subscribe", load_cursor=store.load,
                                      store=store.store, allow_private=False, backoff_base=0.05, backoff_cap=0.1,
                                      on_error=errors.append)
        _run_until(consumer, lambda: len(errors) >= 2, timeout=10)
        assert peer.requests == [] and store.posts == []  # never connected
    assert "private or loopback" in errors[0] and "SOCIALDESK_ALLOW_PRIVATE_URLS" in errors[0]
    with pytest.raises(SourceError):
        jetstream.open_socket(f"ws://{host}:1/subscribe", allow_private=False, timeout=1)


def test_garbage_on_the_stream_is_skipped_and_the_posts_around_it_kept():
    events = [post_event(START_US + 1, DID, "3lone", "first"), "}{ not json", json.dumps([1]),
              post_event(START_US + 4, DID, "3ltwo", "second \x00 with NUL"),
              {"kind": "commit", "time_us": START_US + 5, "did": DID, "commit": {"collection": POST,
                                                                                  "operation": "create"}}]
    store = MemoryStore()
    with JetstreamPeer(events) as peer:
        consumer = jetstream.Consumer(url=peer.url, load_cursor=store.load, store=store.store, allow_private=True,
                                      flush_seconds=0.05)
        _run_until(consumer, lambda: store.load() == START_US + 5)
    assert store.posts == [f"at://{DID}/{POST}/3lone", f"at://{DID}/{POST}/3ltwo"]
    assert consumer.progress.skipped == 3 and consumer.progress.events == 5


# -- into the database ---------------------------------------------------------------------------------

def _client_listening_for(session, word: str) -> int:
    client = Client(name=f"Roasters {word}", name_key=f"roasters {word}")
    session.add(client)
    session.flush()
    listening_service.create_query(session=session, client_id=client.id,
                                   data=QueryIn(name="coffee talk", topic="industry", text=word), user_id=None)
    session.commit()
    return client.id


def test_the_firehose_into_listening_keeps_each_post_once_across_drops(database, session, settings):
    _client_listening_for(session, "coffee")
    stream = generate_stream(1000, seed=5)
    last = stream.events[-1]["time_us"]
    drops = tuple(sorted(random.Random(8).sample(range(100, 900), 3)))
    with JetstreamPeer(stream, drop_after=drops) as peer:
        source = listening_service.source_state(session=session, name="bluesky firehose", kind="bluesky",
                                                config={"url": peer.url})
        session.commit()
        consumer = runner.stream_consumer(database=database, source_id=source.id, settings=settings,
                                          batch_size=100, flush_seconds=0.1, backoff_base=0.05, backoff_cap=0.2)

        def caught_up() -> bool:
            with database.session() as s:
                return s.scalar(select(ListeningSource.cursor).where(ListeningSource.id == source.id)) == str(last)

        _run_until(consumer, caught_up, timeout=120)
        assert peer.drops_done == 3
    with database.session() as s:
        stored = s.scalars(select(Mention.remote_id).where(Mention.source == "bluesky")).all()
        row = s.get(ListeningSource, source.id)
        assert len(stored) == len(set(stored))  # exactly once ...
        assert set(stored) == set(stream.alive)  # ... none missing, and deleted posts forgotten
        assert s.scalar(select(func.count()).select_from(Mention)) == len(stream.alive)
        assert row.last_error == "" and row.mentions_total >= len(stream.alive)
        assert "connections" in row.last_report


def test_socialdesk_listening_stream_reads_the_enabled_bluesky_sources(cli, monkeypatch, database, session):
    monkeypatch.setenv("SOCIALDESK_ALLOW_PRIVATE_URLS", "true")  # the local Jetstream listens on loopback
    _client_listening_for(session, "coffee")
    stream = generate_stream(200, seed=2)
    with JetstreamPeer(stream) as peer:
        listening_service.source_state(session=session, name="firehose", kind="bluesky", config={"url": peer.url})
        off = listening_service.source_state(session=session, name="switched off", kind="bluesky",
                                             config={"url": peer.url.replace("/subscribe", "/other")})
        off.enabled = False
        session.commit()
        result = cli("listening", "stream", "--seconds", "3")
        assert result.exit_code == 0, result.output
        assert len(peer.requests) == 1  # the switched-off source was not read
    with database.session() as s:
        stored = set(s.scalars(select(Mention.remote_id).where(Mention.source == "bluesky")))
    assert stored == set(stream.alive)
