"""A local Jetstream server: replays a list of Jetstream events over a WebSocket, the way
jetstream2.*.bsky.network serves the Bluesky firehose as JSON.

``GET /subscribe?wantedCollections=...&cursor=<time_us>`` streams, in time order, the events at or after
the cursor (without one, from the first: the test's stream begins when the consumer first connects),
commits filtered by ``wantedCollections`` (identity and account events always pass). ``drop_after``
(event counts across all connections) cuts the TCP connection without a close frame after that many
events were sent, the way a network failure does. Usable without pytest::

    with JetstreamPeer(generate_stream(1000)) as peer:
        peer.url  # ws://127.0.0.1:PORT/subscribe
"""

from __future__ import annotations

import json
import random
import socket
import string
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

POST = "app.bsky.feed.post"
START_US = 1_725_000_000_000_000  # 2024-08-30, as Jetstream's microsecond clock reads


def _tid(rng: random.Random) -> str:
    return "3l" + "".join(rng.choice(string.ascii_lowercase + "234567") for _ in range(11))


def post_event(time_us: int, did: str, rkey: str, text: str, *, langs=("en",), facets=(), tags=None,
               created_at: str | None = None, operation: str = "create") -> dict:
    record = {"$type": POST, "text": text, "createdAt": created_at or "2024-08-30T12:00:00.000Z", "langs": list(langs)}
    if facets:
        record["facets"] = list(facets)
    if tags is not None:
        record["tags"] = list(tags)
    return {"did": did, "time_us": time_us, "kind": "commit",
            "commit": {"rev": f"r{time_us}", "operation": operation, "collection": POST, "rkey": rkey,
                       "record": record, "cid": f"bafy{time_us}"}}


def delete_event(time_us: int, did: str, rkey: str) -> dict:
    return {"did": did, "time_us": time_us, "kind": "commit",
            "commit": {"rev": f"r{time_us}", "operation": "delete", "collection": POST, "rkey": rkey}}


def like_event(time_us: int, did: str, rkey: str, subject: str) -> dict:
    return {"did": did, "time_us": time_us, "kind": "commit",
            "commit": {"rev": f"r{time_us}", "operation": "create", "collection": "app.bsky.feed.like", "rkey": rkey,
                       "record": {"$type": "app.bsky.feed.like", "subject": {"uri": subject, "cid": "bafy"},
                                  "createdAt": "2024-08-30T12:00:00.000Z"}, "cid": f"bafy{time_us}"}}


def identity_event(time_us: int, did: str, handle: str) -> dict:
    return {"did": did, "time_us": time_us, "kind": "identity",
            "identity": {"did": did, "handle": handle, "seq": time_us // 1000, "time": "2024-08-30T12:00:00.000Z"}}


@dataclass
class GeneratedStream:
    """Events in time order and what listening should end up with: the posts created and not deleted."""

    events: list[dict]
    alive: dict[str, str] = field(default_factory=dict)  # at:// URI -> text
    deleted: set[str] = field(default_factory=set)


def generate_stream(n: int, *, seed: int = 7, authors: int = 40) -> GeneratedStream:
    """``n`` events: mostly posts (some with hashtag and mention facets), deletes of earlier posts, likes
    (another collection) and identity events; time_us strictly increasing by 1-2,000 µs."""
    rng = random.Random(seed)
    dids = [f"did:plc:{''.join(rng.choice(string.ascii_lowercase + '234567') for _ in range(24))}"
            for _ in range(authors)]
    stream = GeneratedStream(events=[])
    t = START_US
    for i in range(n):
        t += rng.randint(1, 2_000)
        did = rng.choice(dids)
        roll = rng.random()
        if roll < 0.06 and stream.alive:
            uri = rng.choice(sorted(stream.alive))
            _, _, author, _, rkey = uri.split("/")
            stream.events.append(delete_event(t, author, rkey))
            del stream.alive[uri]
            stream.deleted.add(uri)
        elif roll < 0.12:
            stream.events.append(like_event(t, did, _tid(rng), f"at://{rng.choice(dids)}/{POST}/{_tid(rng)}"))
        elif roll < 0.15:
            stream.events.append(identity_event(t, did, f"user{dids.index(did)}.bsky.social"))
        else:
            rkey = _tid(rng)
            text = f"post {i} about #coffee with @friend.bsky.social"
            mention_did = rng.choice(dids)
            facets = [{"index": {"byteStart": 11, "byteEnd": 18},
                       "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "coffee"}]},
                      {"index": {"byteStart": 24, "byteEnd": 43},
                       "features": [{"$type": "app.bsky.richtext.facet#mention", "did": mention_did}]}]
            stream.events.append(post_event(t, did, rkey, text, facets=facets))
            stream.alive[f"at://{did}/{POST}/{rkey}"] = text
    return stream


class JetstreamPeer:
    """A WebSocket server on a free loopback port serving ``events`` (dicts or raw strings)."""

    def __init__(self, events: list[dict | str] | GeneratedStream, *, drop_after: tuple[int, ...] = (),
                 pause_every: int = 50, pause_seconds: float = 0.001, host: str = "127.0.0.1"):
        if isinstance(events, GeneratedStream):
            events = events.events
        self.events = list(events)
        self._times = [e.get("time_us", 0) if isinstance(e, dict) else 0 for e in self.events]
        self.drop_after = sorted(drop_after)
        self.pause_every, self.pause_seconds = pause_every, pause_seconds
        self.host = host
        self.sent = 0  # events sent over all connections
        self.requests: list[dict[str, list[str]]] = []  # query parameters of each subscription
        self.drops_done = 0
        self._lock = threading.Lock()
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.socket.getsockname()[1]

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}/subscribe"

    def __enter__(self) -> JetstreamPeer:
        self._server = serve(self._handle, self.host, 0, compression=None, max_size=2**24)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    def _start_index(self, params: dict[str, list[str]]) -> int:
        cursor = params.get("cursor", [None])[0]
        if cursor is None or not cursor.lstrip("-").isdigit():
            return 0
        from bisect import bisect_left

        return bisect_left(self._times, int(cursor))

    def _handle(self, ws: ServerConnection) -> None:
        params = parse_qs(urlsplit(ws.request.path).query)
        with self._lock:
            self.requests.append(params)
        wanted = set(params.get("wantedCollections", []))
        try:
            for event in self.events[self._start_index(params):]:
                if wanted and isinstance(event, dict) and event.get("kind") == "commit" \
                        and event.get("commit", {}).get("collection") not in wanted:
                    continue
                with self._lock:
                    if self.drops_done < len(self.drop_after) and self.sent >= self.drop_after[self.drops_done]:
                        self.drops_done += 1
                        self._cut(ws)
                        return
                    self.sent += 1
                ws.send(event if isinstance(event, str) else json.dumps(event))
                if self.pause_every and self.sent % self.pause_every == 0:
                    time.sleep(self.pause_seconds)
            # Caught up: stay open like the live firehose, until the client leaves.
            while True:
                try:
                    ws.recv(timeout=0.5)
                except TimeoutError:
                    continue
        except ConnectionClosed:
            return

    @staticmethod
    def _cut(ws: ServerConnection) -> None:
        """Drop the TCP connection with no WebSocket close frame (RST), like a failing network."""
        sock = ws.socket
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        except OSError:
            pass
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        ws.close_socket()
