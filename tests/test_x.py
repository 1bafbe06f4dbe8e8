"""The X adapter against X API v2 answers recorded in tests/fixtures/x (built from X's documented
payloads; see the README there): verify, publish (text, image, video, reply), the errors and what
they mean for a retry, find through t.co links, delete, refresh, and connecting an X channel
through the API.

There is no runnable X peer: respx answers for https://api.x.com, and nothing reaches the internet
(respx refuses any request no route matches).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from PIL import Image
from sqlalchemy import text

from socialdesk.networks.base import MediaItem, NetworkError, OutgoingPost
from socialdesk.networks.x import XAdapter, _matches, _sent_form

FIXTURES = Path(__file__).parent / "fixtures" / "x"
API = "https://api.x.com"
TOKEN = "x-user-token-7f3a9c2e"  # made up, as every credential here
REFRESH = "x-refresh-token-51d0b8"
SECRET = "x-client-secret-c0ffee"
CREDS = {"access_token": TOKEN}
SINCE = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
NOW = 1748779080.0  # 2025-06-01T11:58:00Z, two minutes before rate_limited_429.json's reset
USER_ID = "2244994945"
MENU = "Spring menu is live: https://harborandvine.example.com/menu 🍷"  # users_tweets.json's 2nd post


def recorded(name: str, **headers: str) -> httpx.Response:
    """A response from tests/fixtures/x/<name>.json (headers may be overridden)."""
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    return httpx.Response(data["status"], headers={**data["headers"], **headers}, json=data["body"])


def _post(text: str = "Hello world!", **extra) -> OutgoingPost:
    return OutgoingPost(text=text, marker="post-1-channel-1", not_before=SINCE, **extra)


@pytest.fixture
def x():
    """respx for api.x.com, with GET /2/users/me answered as XDevelopers."""
    with respx.mock(base_url=API, assert_all_called=False) as mock:
        mock.get("/2/users/me", name="me").mock(return_value=recorded("users_me"))
        yield mock


@pytest.fixture
def adapter() -> XAdapter:
    sleeps: list[float] = []
    adapter = XAdapter(chunk_bytes=4096, sleep=sleeps.append, clock=lambda: NOW)
    adapter.sleeps = sleeps  # type: ignore[attr-defined]
    return adapter


def _body(route) -> dict:
    return json.loads(route.calls.last.request.content)


# --- verify --------------------------------------------------------------------------------------


def test_verify_reads_the_account_from_users_me(x, adapter):
    info = adapter.verify(base_url=API, credentials=CREDS)
    assert (info.account_id, info.handle, info.display_name, info.max_characters) == (USER_ID, "XDevelopers", "X Dev", 280)
    assert x["me"].calls.last.request.headers["authorization"] == f"Bearer {TOKEN}"


def test_verify_with_a_revoked_token_says_to_reconnect(x, adapter):
    x["me"].mock(return_value=recorded("unauthorized_401"))
    with pytest.raises(NetworkError) as caught:
        adapter.verify(base_url=API, credentials=CREDS)
    assert caught.value.status == 401 and caught.value.bad_credentials
    assert caught.value.message == "401 Unauthorized: the token expired or was revoked; reconnect the channel"


# --- publish -------------------------------------------------------------------------------------


def test_publish_text(x, adapter):
    tweets = x.post("/2/tweets").mock(return_value=recorded("tweets_create"))
    published = adapter.publish(base_url=API, credentials=CREDS, post=_post())
    assert published.remote_id == "1445880548472328192"
    assert published.url == "https://x.com/XDevelopers/status/1445880548472328192"
    assert _body(tweets) == {"text": "Hello world!"}
    assert tweets.calls.last.request.headers["authorization"] == f"Bearer {TOKEN}"


def test_publish_with_an_image_uploads_it_sets_its_alt_text_and_attaches_it(x, adapter, tmp_path):
    path = tmp_path / "wine.png"
    Image.new("RGB", (64, 48), (120, 20, 40)).save(path)
    upload = x.post("/2/media/upload").mock(return_value=recorded("media_upload_image"))
    metadata = x.post("/2/media/metadata").mock(return_value=recorded("media_metadata"))
    tweets = x.post("/2/tweets").mock(return_value=recorded("tweets_create"))
    item = MediaItem(path=str(path), mime_type="image/png", alt_text="A glass of red wine on an oak barrel")

    adapter.publish(base_url=API, credentials=CREDS, post=_post(media=(item,)))

    request = upload.calls.last.request
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert b'name="media_category"\r\n\r\ntweet_image\r\n' in request.content
    assert b'name="media_type"\r\n\r\nimage/png\r\n' in request.content
    assert b'name="media"; filename="wine.png"' in request.content and path.read_bytes() in request.content
    assert _body(metadata) == {"id": "1880028106020515840",
                               "metadata": {"alt_text": {"text": "A glass of red wine on an oak barrel"}}}
    assert _body(tweets) == {"text": "Hello world!", "media": {"media_ids": ["1880028106020515840"]}}
    assert x.calls[-1].request.url.path == "/2/tweets"  # the post goes last


def test_publish_with_a_video_uploads_it_in_chunks_and_waits_for_processing(x, adapter, tmp_path):
    path = tmp_path / "tour.mp4"
    video = bytes(range(256)) * 40  # 10240 bytes: three segments of at most 4096
    path.write_bytes(video)
    init = x.post("/2/media/upload/initialize").mock(return_value=recorded("media_upload_initialize"))
    append = x.post("/2/media/upload/1880028106020515841/append").mock(return_value=recorded("media_upload_append"))
    finalize = x.post("/2/media/upload/1880028106020515841/finalize").mock(return_value=recorded("media_upload_finalize"))
    status = x.get("/2/media/upload").mock(side_effect=[recorded("media_upload_status_in_progress"),
                                                        recorded("media_upload_status_succeeded")])
    metadata = x.post("/2/media/metadata").mock(return_value=recorded("media_metadata"))
    tweets = x.post("/2/tweets").mock(return_value=recorded("tweets_create"))
    item = MediaItem(path=str(path), mime_type="video/mp4", alt_text="A walk through the cellar")

    adapter.publish(base_url=API, credentials=CREDS, post=_post(media=(item,)))

    assert _body(init) == {"media_type": "video/mp4", "total_bytes": 10240, "media_category": "tweet_video"}
    segments = [call.request.content for call in append.calls]
    assert len(segments) == 3
    for index, (content, chunk) in enumerate(zip(segments, (video[:4096], video[4096:8192], video[8192:]), strict=True)):
        assert f'name="segment_index"\r\n\r\n{index}\r\n'.encode() in content and chunk in content
    assert finalize.call_count == 1
    assert [dict(call.request.url.params) for call in status.calls] == [
        {"command": "STATUS", "media_id": "1880028106020515841"}] * 2
    assert adapter.sleeps == [1.0, 2.0]  # check_after_secs of FINALIZE, then of the first STATUS
    assert _body(metadata)["id"] == "1880028106020515841"
    assert _body(tweets)["media"] == {"media_ids": ["1880028106020515841"]}


def test_a_video_x_cannot_process_fails_for_good_and_nothing_is_posted(x, adapter, tmp_path):
    path = tmp_path / "broken.mp4"
    path.write_bytes(b"\0" * 100)
    x.post("/2/media/upload/initialize").mock(return_value=recorded("media_upload_initialize"))
    x.post("/2/media/upload/1880028106020515841/append").mock(return_value=recorded("media_upload_append"))
    x.post("/2/media/upload/1880028106020515841/finalize").mock(return_value=recorded("media_upload_finalize"))
    x.get("/2/media/upload").mock(return_value=recorded("media_upload_status_failed"))
    tweets = x.post("/2/tweets")
    with pytest.raises(NetworkError) as caught:
        adapter.publish(base_url=API, credentials=CREDS, post=_post(media=(MediaItem(str(path), "video/mp4"),)))
    assert caught.value.permanent and not caught.value.unknown_outcome
    assert caught.value.message == "X could not process broken.mp4: Unsupported video format"
    assert not tweets.called


def test_a_video_still_processing_after_the_limit_is_tried_again_later(x, tmp_path):
    adapter = XAdapter(sleep=lambda s: None, processing_timeout=2)
    path = tmp_path / "long.mp4"
    path.write_bytes(b"\0" * 100)
    x.post("/2/media/upload/initialize").mock(return_value=recorded("media_upload_initialize"))
    x.post("/2/media/upload/1880028106020515841/append").mock(return_value=recorded("media_upload_append"))
    x.post("/2/media/upload/1880028106020515841/finalize").mock(return_value=recorded("media_upload_finalize"))
    x.get("/2/media/upload").mock(return_value=recorded("media_upload_status_in_progress"))
    with pytest.raises(NetworkError) as caught:
        adapter.publish(base_url=API, credentials=CREDS, post=_post(media=(MediaItem(str(path), "video/mp4"),)))
    assert not caught.value.permanent and not caught.value.unknown_outcome
    assert "still processing long.mp4" in caught.value.message


def test_publish_a_reply(x, adapter):
    tweets = x.post("/2/tweets").mock(return_value=recorded("tweets_create"))
    adapter.publish(base_url=API, credentials=CREDS, post=_post("First comment", reply_to="1445880548472328000"))
    assert _body(tweets) == {"text": "First comment", "reply": {"in_reply_to_tweet_id": "1445880548472328000"}}


# --- errors --------------------------------------------------------------------------------------


def test_429_waits_until_the_rate_limit_window_resets(x, adapter):
    x.post("/2/tweets").mock(return_value=recorded("rate_limited_429"))
    with pytest.raises(NetworkError) as caught:
        adapter.publish(base_url=API, credentials=CREDS, post=_post())
    assert caught.value.status == 429 and caught.value.retry_after == 120  # reset 12:00:00, now 11:58:00
    assert not caught.value.unknown_outcome and not caught.value.permanent
    assert "try again in 120 s" in caught.value.message


@pytest.mark.parametrize("headers, wait", [
    ({"x-rate-limit-reset": str(int(NOW) - 30)}, 1),  # a reset already past: at least 1 s
    ({"x-rate-limit-reset": "", "retry-after": "42"}, 42),
    ({"x-rate-limit-remaining": "7", "x-user-limit-24hour-remaining": "0",
      "x-user-limit-24hour-reset": str(int(NOW) + 3600)}, 3600),  # the daily posting cap is what ran out
])
def test_429_retry_after_from_the_other_headers(x, adapter, headers, wait):
    x.post("/2/tweets").mock(return_value=recorded("rate_limited_429", **headers))
    with pytest.raises(NetworkError) as caught:
        adapter.publish(base_url=API, credentials=CREDS, post=_post())
    assert caught.value.retry_after == wait


def test_a_timeout_while_posting_leaves_the_outcome_unknown(x, adapter):
    x.post("/2/tweets").mock(side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(NetworkError) as caught:
        adapter.publish(base_url=API, credentials=CREDS, post=_post())
    assert caught.value.status is None and caught.value.unknown_outcome
    assert caught.value.message == "could not reach https://api.x.com: ReadTimeout: timed out"


def test_a_server_error_while_posting_leaves_the_outcome_unknown(x, adapter):
    x.post("/2/tweets").mock(return_value=httpx.Response(503, json={"title": "Service Unavailable",
                                                                     "detail": "Service Unavailable", "status": 503}))
    with pytest.raises(NetworkError) as caught:
        adapter.publish(base_url=API, credentials=CREDS, post=_post())
    assert caught.value.status == 503 and caught.value.unknown_outcome and not caught.value.permanent


def test_a_timeout_before_posting_is_a_plain_network_error(x, adapter, tmp_path):
    path = tmp_path / "a.png"
    Image.new("RGB", (2, 2)).save(path)
    x.post("/2/media/upload").mock(side_effect=httpx.ConnectTimeout("timed out"))
    tweets = x.post("/2/tweets")
    with pytest.raises(NetworkError) as caught:
        adapter.publish(base_url=API, credentials=CREDS, post=_post(media=(MediaItem(str(path), "image/png"),)))
    assert caught.value.status is None and not caught.value.unknown_outcome
    assert not tweets.called


def test_a_refused_post_fails_for_good_with_xs_reason(x, adapter):
    x.post("/2/tweets").mock(return_value=recorded("tweets_create_400_invalid"))
    with pytest.raises(NetworkError) as caught:
        adapter.publish(base_url=API, credentials=CREDS, post=_post())
    assert caught.value.status == 400 and caught.value.permanent and not caught.value.unknown_outcome
    assert caught.value.message == "400 Your media IDs are invalid."


def test_duplicate_content_means_an_earlier_attempt_got_through(x, adapter):
    x.post("/2/tweets").mock(return_value=recorded("tweets_create_403_duplicate"))
    timeline = x.get(f"/2/users/{USER_ID}/tweets").mock(return_value=recorded("users_tweets"))
    published = adapter.publish(base_url=API, credentials=CREDS, post=_post(MENU))
    assert published.remote_id == "1929000000000000003"
    assert published.url == "https://x.com/XDevelopers/status/1929000000000000003"
    params = timeline.calls.last.request.url.params
    assert params["start_time"] == "2025-06-01T12:00:00Z" and params["max_results"] == "100"
    assert set(params["tweet.fields"].split(",")) >= {"created_at", "text", "entities"}


def test_duplicate_content_with_no_post_of_ours_fails_for_good(x, adapter):
    x.post("/2/tweets").mock(return_value=recorded("tweets_create_403_duplicate"))
    x.get(f"/2/users/{USER_ID}/tweets").mock(return_value=recorded("users_tweets_empty"))
    with pytest.raises(NetworkError) as caught:
        adapter.publish(base_url=API, credentials=CREDS, post=_post(MENU))
    assert caught.value.permanent and "duplicate content" in caught.value.message


def test_duplicate_content_and_the_lookup_failing_asks_to_look_again(x, adapter):
    x.post("/2/tweets").mock(return_value=recorded("tweets_create_403_duplicate"))
    x.get(f"/2/users/{USER_ID}/tweets").mock(return_value=recorded("rate_limited_429"))
    with pytest.raises(NetworkError) as caught:
        adapter.publish(base_url=API, credentials=CREDS, post=_post(MENU))
    assert caught.value.status == 429 and caught.value.unknown_outcome


# --- find ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("sent, found", [
    (MENU, "1929000000000000003"),  # the URL became a t.co link, the photo a trailing one
    ("Spring menu is live: harborandvine.example.com/menu 🍷", "1929000000000000003"),  # a bare domain
    ("Spring menu is live:\nhttps://harborandvine.example.com/menu  🍷 ", "1929000000000000003"),  # other spaces
    ("Spring menu is live at last: https://harborandvine.example.com/menu", "1929000000000000002"),
    ("Spring menu is live: https://harborandvine.example.com/wine-list 🍷", None),  # another link
    ("Spring menu is live: 🍷", None),  # no link
    ("Spring menu is live now: https://harborandvine.example.com/menu 🍷", None),  # other words
    ("Thanks & cheers!", None),  # the reply's text, but this post answers nothing
])
def test_find_compares_texts_as_x_stores_them(x, adapter, sent, found):
    x.get(f"/2/users/{USER_ID}/tweets").mock(return_value=recorded("users_tweets"))
    result = adapter.find(base_url=API, credentials=CREDS, post=_post(sent))
    assert (result.remote_id if result else None) == found


def test_find_a_reply_despite_the_mentions_x_puts_before_it(x, adapter):
    x.get(f"/2/users/{USER_ID}/tweets").mock(return_value=recorded("users_tweets"))
    reply = adapter.find(base_url=API, credentials=CREDS, post=_post("Thanks & cheers!", reply_to="1929000000000000001"))
    assert reply is not None and reply.remote_id == "1929000000000000004"
    other = adapter.find(base_url=API, credentials=CREDS, post=_post("Thanks & cheers!", reply_to="1"))
    assert other is None


def test_find_reads_the_next_page(x, adapter):
    first = recorded("users_tweets_empty").json()
    first["meta"]["next_token"] = "7140dibdnow9c7btw3w29n4v5ntmqhf8xgdahq6tbmpr8"
    timeline = x.get(f"/2/users/{USER_ID}/tweets").mock(
        side_effect=[httpx.Response(200, json=first), recorded("users_tweets")])
    assert adapter.find(base_url=API, credentials=CREDS, post=_post(MENU)).remote_id == "1929000000000000003"
    assert timeline.calls.last.request.url.params["pagination_token"] == first["meta"]["next_token"]


def test_find_on_an_empty_timeline_finds_nothing(x, adapter):
    x.get(f"/2/users/{USER_ID}/tweets").mock(return_value=recorded("users_tweets_empty"))
    assert adapter.find(base_url=API, credentials=CREDS, post=_post(MENU)) is None


def test_texts_are_compared_in_nfc_and_undescribed_media_links_are_dropped():
    tweet = {"id": "1", "text": "Caf\u00e9 opens at 9 https://t.co/AbCdEf1234"}  # composed é, no entities
    assert _matches(tweet, _sent_form("Cafe\u0301 opens at 9"), reply=False)
    assert not _matches(tweet, _sent_form("Cafe opens at 9"), reply=False)


def test_the_user_id_is_asked_once_per_token(x, adapter):
    x.get(f"/2/users/{USER_ID}/tweets").mock(return_value=recorded("users_tweets_empty"))
    x.post("/2/tweets").mock(return_value=recorded("tweets_create"))
    adapter.verify(base_url=API, credentials=CREDS)
    adapter.find(base_url=API, credentials=CREDS, post=_post())
    adapter.publish(base_url=API, credentials=CREDS, post=_post())
    assert x["me"].call_count == 1
    adapter.find(base_url=API, credentials={"access_token": "another-token"}, post=_post())
    assert x["me"].call_count == 2


# --- delete and refresh --------------------------------------------------------------------------


def test_delete_and_a_post_already_gone(x, adapter):
    route = x.delete("/2/tweets/1445880548472328192").mock(
        side_effect=[recorded("tweets_delete"), recorded("tweets_delete_404")])
    adapter.delete(base_url=API, credentials=CREDS, remote_id="1445880548472328192")
    adapter.delete(base_url=API, credentials=CREDS, remote_id="1445880548472328192")
    assert route.call_count == 2


def test_delete_with_a_revoked_token_raises(x, adapter):
    x.delete("/2/tweets/1").mock(return_value=recorded("unauthorized_401"))
    with pytest.raises(NetworkError) as caught:
        adapter.delete(base_url=API, credentials=CREDS, remote_id="1")
    assert caught.value.status == 401


def test_refresh_a_public_client(x, adapter):
    token = x.post("/2/oauth2/token").mock(return_value=recorded("oauth2_token"))
    creds = {"access_token": TOKEN, "refresh_token": REFRESH, "client_id": "client-123"}
    refreshed = adapter.refresh(base_url=API, credentials=creds)
    request = token.calls.last.request
    assert "authorization" not in request.headers
    assert parse_qs(request.content.decode()) == {"grant_type": ["refresh_token"], "refresh_token": [REFRESH],
                                                  "client_id": ["client-123"]}
    issued = recorded("oauth2_token").json()
    assert refreshed.credentials == {"access_token": issued["access_token"], "refresh_token": issued["refresh_token"],
                                     "client_id": "client-123", "expires_at": "2025-06-01T13:58:00+00:00"}


def test_refresh_a_confidential_client_authenticates_with_basic(x, adapter):
    token = x.post("/2/oauth2/token").mock(return_value=recorded("oauth2_token"))
    creds = {"access_token": TOKEN, "refresh_token": REFRESH, "client_id": "client-123", "client_secret": SECRET}
    refreshed = adapter.refresh(base_url=API, credentials=creds)
    expected = base64.b64encode(f"client-123:{SECRET}".encode()).decode()
    assert token.calls.last.request.headers["authorization"] == f"Basic {expected}"
    assert refreshed.credentials["client_secret"] == SECRET


def test_refresh_needs_a_refresh_token_and_a_client_id(x, adapter):
    token = x.post("/2/oauth2/token")
    assert adapter.refresh(base_url=API, credentials=CREDS) is None
    assert adapter.refresh(base_url=API, credentials={**CREDS, "refresh_token": REFRESH}) is None
    assert not token.called


def test_a_refresh_token_x_refuses(x, adapter):
    x.post("/2/oauth2/token").mock(return_value=recorded("oauth2_token_invalid"))
    with pytest.raises(NetworkError) as caught:
        adapter.refresh(base_url=API, credentials={**CREDS, "refresh_token": REFRESH, "client_id": "c-1"})
    assert caught.value.status == 400 and caught.value.message == "400 Value passed for the token was invalid."


# --- no credential in any message ----------------------------------------------------------------


def _echo(status: int) -> httpx.Response:
    """An answer that repeats what it got (networks sometimes do)."""
    return httpx.Response(status, json={"detail": f"bad request: token={TOKEN} refresh={REFRESH} secret={SECRET}",
                                        "errors": [{"message": f"Bearer {TOKEN}"}]})


@pytest.mark.parametrize("answer", [
    recorded("unauthorized_401"), recorded("rate_limited_429"), recorded("tweets_create_403_duplicate"),
    _echo(400), _echo(401), _echo(403), _echo(500), httpx.ReadTimeout(f"timed out sending Bearer {TOKEN}"),
    httpx.ConnectError(f"connection refused for {TOKEN}"),
], ids=lambda a: type(a).__name__ if isinstance(a, Exception) else str(a.status_code))
def test_no_credential_appears_in_any_error_message(answer, adapter):
    creds = {"access_token": TOKEN, "refresh_token": REFRESH, "client_id": "client-123", "client_secret": SECRET}
    calls = [
        lambda: adapter.verify(base_url=API, credentials=creds),
        lambda: adapter.publish(base_url=API, credentials=creds, post=_post()),
        lambda: adapter.find(base_url=API, credentials=creds, post=_post()),
        lambda: adapter.delete(base_url=API, credentials=creds, remote_id="1"),
        lambda: adapter.refresh(base_url=API, credentials=creds),
    ]
    kind = {"side_effect": answer} if isinstance(answer, Exception) else {"return_value": answer}
    for call in calls:
        with respx.mock(base_url=API) as mock:
            mock.route().mock(**kind)
            with pytest.raises(NetworkError) as caught:
                call()
        message = caught.value.message
        assert message == str(caught.value)
        assert not any(secret in message for secret in (TOKEN, REFRESH, SECRET)), message


# --- connecting an X channel ---------------------------------------------------------------------


def _client(api, name: str = "Harbor & Vine") -> int:
    response = api.post("/api/clients", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _rows(session, table: str) -> list:
    session.commit()  # see what the app committed
    return session.execute(text(f"SELECT * FROM {table}")).all()


def test_connect_an_x_channel(owner_client, session, database, settings):
    from socialdesk.channels import service as channels_service
    from socialdesk.vault.service import Vault

    cid = _client(owner_client)
    body = {"network": "x", "access_token": TOKEN, "refresh_token": REFRESH, "client_id": "client-123"}
    with respx.mock(base_url=API, assert_all_called=False) as x:
        # The app's own requests go through (respx does not see TestClient's transport today; this keeps
        # it so). Any other host stays unmocked, so a stray request fails instead of reaching the internet.
        x.route(host="testserver").pass_through()
        me = x.get("/2/users/me").mock(return_value=recorded("users_me"))
        response = owner_client.post(f"/api/clients/{cid}/channels", json=body)
    assert response.status_code == 201, response.text
    channel = response.json()
    assert me.calls.last.request.headers["authorization"] == f"Bearer {TOKEN}"
    assert (channel["network"], channel["handle"], channel["account_id"]) == ("x", "XDevelopers", USER_ID)
    assert (channel["display_name"], channel["base_url"], channel["max_characters"]) == ("X Dev", API, 280)
    assert channel["status"] == "ok"
    assert not any(secret in response.text for secret in (TOKEN, REFRESH))
    secrets = _rows(session, "stored_secrets")
    assert [s.name for s in secrets] == [f"channel:{channel['id']}"] and TOKEN not in secrets[0].ciphertext
    with database.session() as s:
        stored = channels_service.get(session=s, client_id=cid, channel_id=channel["id"])
        assert channels_service.credentials(session=s, vault=Vault.from_settings(settings), channel=stored) == {
            "access_token": TOKEN, "refresh_token": REFRESH, "client_id": "client-123"}


def test_connect_an_x_channel_with_a_refused_token_names_the_field_and_stores_nothing(owner_client, session):
    cid = _client(owner_client)
    with respx.mock(base_url=API, assert_all_called=False) as x:
        x.route(host="testserver").pass_through()
        x.get("/2/users/me").mock(return_value=recorded("unauthorized_401"))
        response = owner_client.post(f"/api/clients/{cid}/channels", json={"network": "x", "access_token": TOKEN})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["errors"][0]["field"] == "access_token"
    assert "401" in body["detail"] and "reconnect" in body["detail"] and TOKEN not in response.text
    assert _rows(session, "channels") == [] and _rows(session, "stored_secrets") == []
