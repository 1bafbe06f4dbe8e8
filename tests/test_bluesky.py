"""Bluesky: the adapter against a whole local network (@atproto/dev-env: PLC, PDS and AppView, see
``bluesky_peer`` in conftest.py), every result read back from the network with the atproto SDK; and
connecting a Bluesky channel through the API. No mocks.
"""

from __future__ import annotations

import base64
import json
import secrets
import struct
import threading
import time
from datetime import UTC, datetime

import pytest
from atproto import Client, models
from PIL import Image
from sqlalchemy import text

from socialdesk.networks.base import MediaItem, NetworkError, OutgoingPost
from socialdesk.networks.bluesky import BlueskyAdapter
from socialdesk.publishing.timing import new_marker

pytestmark = pytest.mark.bluesky


def _name(prefix: str) -> str:
    """Account names are unique per network, which lives for the whole session."""
    return f"{prefix}-{secrets.token_hex(3)}"


@pytest.fixture(scope="module")
def alice(bluesky_peer):
    return bluesky_peer.create_account(_name("alice"), display_name="Alice Example")


@pytest.fixture(scope="module")
def bob(bluesky_peer):
    return bluesky_peer.create_account(_name("bob"))


@pytest.fixture(scope="module")
def adapter():
    return BlueskyAdapter()


@pytest.fixture
def creds(alice) -> dict[str, str]:
    return {"handle": alice.handle, "app_password": alice.app_password}


@pytest.fixture(scope="module")
def reader(bluesky_peer, alice) -> Client:
    """Alice's own SDK client, to read back what the adapter wrote."""
    client = Client(base_url=bluesky_peer.pds_url)
    client.login(alice.handle, alice.app_password)
    return client


def _post(text: str, **extra) -> OutgoingPost:
    return OutgoingPost(text=text, marker=extra.pop("marker", None) or new_marker(),
                        not_before=datetime.now(UTC), **extra)


def _record(reader: Client, uri: str):
    repo, collection, rkey = uri.removeprefix("at://").split("/")
    params = models.ComAtprotoRepoGetRecord.Params(repo=repo, collection=collection, rkey=rkey)
    return reader.com.atproto.repo.get_record(params)


# --- verify ------------------------------------------------------------------------------------


def test_verify_signs_in_with_the_app_password_and_reads_the_profile(bluesky_peer, adapter, alice, creds):
    info = adapter.verify(base_url=bluesky_peer.pds_url, credentials=creds)
    assert info.account_id == alice.did and info.account_id.startswith("did:plc:")
    assert info.handle == alice.handle
    assert info.display_name == "Alice Example"
    assert info.max_characters == 300


def test_verify_with_a_wrong_password_is_refused_without_echoing_it(bluesky_peer, adapter, alice):
    wrong = "wrong-app-pass-word"
    with pytest.raises(NetworkError) as refused:
        adapter.verify(base_url=bluesky_peer.pds_url, credentials={"handle": alice.handle, "app_password": wrong})
    assert refused.value.status == 401 and refused.value.bad_credentials
    assert "check the handle and the app password" in refused.value.message
    assert wrong not in str(refused.value)


def test_verify_against_nothing_listening_is_unreachable(adapter, creds):
    from live import free_port

    with pytest.raises(NetworkError) as unreachable:
        adapter.verify(base_url=f"http://127.0.0.1:{free_port()}", credentials=creds)
    assert unreachable.value.unreachable and "could not reach" in unreachable.value.message


# --- publish -----------------------------------------------------------------------------------


def test_publish_builds_facets_whose_byte_ranges_slice_the_text(bluesky_peer, adapter, creds, reader, alice, bob):
    link = "https://example.com/menu?day=friday"
    # Non-ASCII (é), a 3-byte ☕ and a 4-byte emoji come before every entity, so byte and code point
    # offsets differ; @nobody is a valid-looking handle that resolves to no one.
    body = f"Café ☕ 🎉 with @{bob.handle} and @nobody-here.test: {link} #FridayMenu!"
    published = adapter.publish(base_url=bluesky_peer.pds_url, credentials=creds, post=_post(body, link=link))

    assert published.remote_id.startswith(f"at://{alice.did}/app.bsky.feed.post/")
    rkey = published.remote_id.rsplit("/", 1)[1]
    assert published.url == f"https://bsky.app/profile/{alice.handle}/post/{rkey}"
    record = _record(reader, published.remote_id)
    assert published.extra["cid"] == record.cid
    value = record.value
    assert value.text == body
    utf8 = body.encode()
    found = {}
    for facet in value.facets:
        (feature,) = facet.features
        found[feature.py_type] = (utf8[facet.index.byte_start:facet.index.byte_end].decode(), feature)
    assert set(found) == {"app.bsky.richtext.facet#mention", "app.bsky.richtext.facet#link",
                          "app.bsky.richtext.facet#tag"}
    mention, feature = found["app.bsky.richtext.facet#mention"]
    assert mention == f"@{bob.handle}" and feature.did == bob.did
    url, feature = found["app.bsky.richtext.facet#link"]
    assert url == link and feature.uri == link
    tag, feature = found["app.bsky.richtext.facet#tag"]
    assert tag == "#FridayMenu" and feature.tag == "FridayMenu"
    # The link without images becomes a card, titled with the link itself (the page is not fetched).
    assert value.embed.py_type == "app.bsky.embed.external"
    assert value.embed.external.uri == link and value.embed.external.title == link

    # The AppView resolves the mention facet: Bob is notified.
    bluesky_peer.process_all()
    bob_client = Client(base_url=bluesky_peer.pds_url)
    bob_client.login(bob.handle, bob.app_password)
    notifications = bob_client.app.bsky.notification.list_notifications().notifications
    assert [(n.reason, n.author.did) for n in notifications if n.uri == published.remote_id] == [("mention", alice.did)]


def test_the_same_marker_twice_leaves_one_record(bluesky_peer, adapter, creds, reader, alice):
    post = _post("Only once, however often we try.")
    first = adapter.publish(base_url=bluesky_peer.pds_url, credentials=creds, post=post)
    again = adapter.publish(base_url=bluesky_peer.pds_url, credentials=creds, post=post)
    assert again == first
    assert first.remote_id.endswith(f"/app.bsky.feed.post/{post.marker}")
    listed = reader.com.atproto.repo.list_records(
        models.ComAtprotoRepoListRecords.Params(repo=alice.did, collection="app.bsky.feed.post", limit=100))
    assert [r.uri for r in listed.records].count(first.remote_id) == 1
    assert [r.value.text for r in listed.records].count(post.text) == 1

    assert adapter.find(base_url=bluesky_peer.pds_url, credentials=creds, post=post) == first
    assert adapter.find(base_url=bluesky_peer.pds_url, credentials=creds, post=_post("never sent")) is None


def test_an_image_keeps_its_alt_text_and_aspect_ratio(bluesky_peer, adapter, creds, reader, alice, tmp_path):
    path = tmp_path / "menu.png"
    Image.new("RGB", (60, 40), (200, 30, 30)).save(path)
    image = MediaItem(path=str(path), mime_type="image/png", alt_text="A red card with the Friday menu",
                      width=60, height=40)
    published = adapter.publish(base_url=bluesky_peer.pds_url, credentials=creds,
                                post=_post("Friday menu", media=(image,), link="https://example.com"))
    embed = _record(reader, published.remote_id).value.embed
    assert embed.py_type == "app.bsky.embed.images"  # images win over the link card
    (shown,) = embed.images
    assert shown.alt == "A red card with the Friday menu"
    assert (shown.aspect_ratio.width, shown.aspect_ratio.height) == (60, 40)
    assert shown.image.mime_type == "image/png" and shown.image.size == path.stat().st_size
    blob = reader.com.atproto.sync.get_blob(
        models.ComAtprotoSyncGetBlob.Params(did=alice.did, cid=shown.image.cid.encode()))
    assert blob == path.read_bytes()


def _mp4_box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def test_one_mp4_becomes_a_video_embed(bluesky_peer, adapter, creds, reader, tmp_path):
    path = tmp_path / "clip.mp4"  # the boxes a PDS sniffs as video/mp4 (ftyp isom), then some media data
    path.write_bytes(_mp4_box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41")
                     + _mp4_box(b"mdat", bytes(64)))
    clip = MediaItem(path=str(path), mime_type="video/mp4", alt_text="The cellar at dusk", width=16, height=9)
    published = adapter.publish(base_url=bluesky_peer.pds_url, credentials=creds, post=_post("Clip", media=(clip,)))
    embed = _record(reader, published.remote_id).value.embed
    assert embed.py_type == "app.bsky.embed.video" and embed.alt == "The cellar at dusk"
    assert (embed.aspect_ratio.width, embed.aspect_ratio.height) == (16, 9)
    assert embed.video.mime_type == "video/mp4" and embed.video.size == path.stat().st_size


def test_more_than_four_images_or_a_pdf_are_refused_for_good(bluesky_peer, adapter, creds, tmp_path):
    path = tmp_path / "dot.png"
    Image.new("RGB", (2, 2)).save(path)
    five = tuple(MediaItem(path=str(path), mime_type="image/png") for _ in range(5))
    pdf = (MediaItem(path=str(path), mime_type="application/pdf"),)
    for media in (five, pdf):
        with pytest.raises(NetworkError) as refused:
            adapter.publish(base_url=bluesky_peer.pds_url, credentials=creds, post=_post("x", media=media))
        assert refused.value.permanent
    # The PDS itself refuses a text over 3000 bytes (400 InvalidRequest): trying again will not help.
    with pytest.raises(NetworkError) as refused:
        adapter.publish(base_url=bluesky_peer.pds_url, credentials=creds, post=_post("x" * 3001))
    assert refused.value.status == 400 and refused.value.permanent and not refused.value.unknown_outcome
    assert "InvalidRequest" in refused.value.message


def test_a_rate_limited_sign_in_says_how_long_to_wait():
    from peers.bluesky import BlueskyPeer

    # A network of its own whose PDS enforces its production limits: 30 sign-ins per 5 minutes per handle.
    with BlueskyPeer(rate_limits=True) as peer:
        carol = peer.create_account("carol")
        adapter, creds = BlueskyAdapter(), {"handle": carol.handle, "app_password": carol.app_password}
        with pytest.raises(NetworkError) as limited:
            for _ in range(31):
                adapter.verify(base_url=peer.pds_url, credentials=creds)
        assert limited.value.status == 429 and 1 <= limited.value.retry_after <= 300
        assert f"try again in {limited.value.retry_after} s" in limited.value.message
        # Publishing goes on with the session of an earlier sign-in: it needs no new one.
        post = _post("Still posting")
        assert adapter.publish(base_url=peer.pds_url, credentials=creds, post=post).remote_id.endswith(post.marker)


def test_a_reply_threads_under_its_parent(bluesky_peer, adapter, creds, reader):
    url = bluesky_peer.pds_url
    parent = adapter.publish(base_url=url, credentials=creds, post=_post("A thread, 1/3"))
    child = adapter.publish(base_url=url, credentials=creds, post=_post("2/3", reply_to=parent.remote_id))
    # Without reply_root, the root is taken from the parent's own reply.
    last = adapter.publish(base_url=url, credentials=creds, post=_post("3/3", reply_to=child.remote_id))

    reply = _record(reader, child.remote_id).value.reply
    assert (reply.parent.uri, reply.parent.cid) == (parent.remote_id, parent.extra["cid"])
    assert (reply.root.uri, reply.root.cid) == (parent.remote_id, parent.extra["cid"])
    reply = _record(reader, last.remote_id).value.reply
    assert (reply.parent.uri, reply.parent.cid) == (child.remote_id, child.extra["cid"])
    assert reply.root.uri == parent.remote_id

    bluesky_peer.process_all()
    thread = reader.app.bsky.feed.get_post_thread(
        models.AppBskyFeedGetPostThread.Params(uri=parent.remote_id)).thread
    (answer,) = thread.replies
    assert answer.post.uri == child.remote_id
    assert [r.post.uri for r in answer.replies] == [last.remote_id]


def test_delete_removes_the_post_and_a_second_delete_is_fine(bluesky_peer, adapter, creds):
    url = bluesky_peer.pds_url
    post = _post("Posted by mistake")
    published = adapter.publish(base_url=url, credentials=creds, post=post)
    adapter.delete(base_url=url, credentials=creds, remote_id=published.remote_id)
    assert adapter.find(base_url=url, credentials=creds, post=post) is None
    adapter.delete(base_url=url, credentials=creds, remote_id=published.remote_id)


def test_threads_share_one_session_and_a_refused_session_signs_in_again(bluesky_peer, alice, creds):
    adapter, url = BlueskyAdapter(), bluesky_peer.pds_url
    posts = [_post(f"From thread {i}") for i in range(4)]
    results = {}

    def publish(post):
        results[post.marker] = adapter.publish(base_url=url, credentials=creds, post=post)

    threads = [threading.Thread(target=publish, args=(post,)) for post in posts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len({r.remote_id for r in results.values()}) == 4
    assert len(adapter._sessions) == 1

    # The PDS stops accepting the cached session (a token it did not sign, valid for another hour as
    # far as the client can tell): the adapter signs in again, once, and goes on.
    (session,) = adapter._sessions.values()
    claims = {"scope": "com.atproto.appPass", "sub": alice.did, "exp": int(time.time()) + 3600}
    forged = ".".join(base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")
                      for part in ({"alg": "ES256K", "typ": "at+jwt"}, claims, {"sig": 0}))
    session.client._session.access_jwt = forged
    post = _post("After the session was refused")
    assert adapter.publish(base_url=url, credentials=creds, post=post).remote_id.endswith(post.marker)
    assert next(iter(adapter._sessions.values())) is not session


# --- connecting a channel through the API --------------------------------------------------------


def _client(api) -> int:
    response = api.post("/api/clients", json={"name": "Harbor & Vine"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _rows(session, table: str) -> list:
    session.commit()
    return session.execute(text(f"SELECT * FROM {table}")).all()


def test_connect_a_bluesky_channel(owner_client, session, bluesky_peer, alice):
    cid = _client(owner_client)
    response = owner_client.post(f"/api/clients/{cid}/channels", json={
        "network": "bluesky", "base_url": bluesky_peer.pds_url, "handle": alice.handle,
        "app_password": alice.app_password})
    assert response.status_code == 201, response.text
    channel = response.json()
    assert channel["network"] == "bluesky" and channel["status"] == "ok"
    assert channel["account_id"] == alice.did and channel["handle"] == alice.handle
    assert channel["display_name"] == "Alice Example" and channel["max_characters"] == 300
    assert alice.app_password not in response.text
    (secret,) = _rows(session, "stored_secrets")
    assert secret.name == f"channel:{channel['id']}" and alice.app_password not in secret.ciphertext


def test_connect_with_a_wrong_app_password_stores_nothing(owner_client, session, bluesky_peer, alice):
    cid = _client(owner_client)
    response = owner_client.post(f"/api/clients/{cid}/channels", json={
        "network": "bluesky", "base_url": bluesky_peer.pds_url, "handle": alice.handle,
        "app_password": "aaaa-bbbb-cccc-dddd"})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "app_password"
    assert "aaaa-bbbb-cccc-dddd" not in response.text
    assert _rows(session, "channels") == [] and _rows(session, "stored_secrets") == []
